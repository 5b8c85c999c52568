import { Value } from '@sinclair/typebox/value';
import { PluginIdSchema } from './index.js';

/** The limit the description states for `what` ("… of at most N characters"). */
function stated(pattern: RegExp): number {
  const match = pattern.exec(PluginIdSchema.description ?? '');
  if (!match)
    throw new Error(`the description states no such limit: ${PluginIdSchema.description}`);
  return Number(match[1]);
}

describe('PluginIdSchema says the limits it checks', () => {
  const label = (n: number) => 'a'.repeat(n);

  it('takes a label as long as the description says, and not one character more', () => {
    const max = stated(/labels of at most (\d+) characters/);
    expect(Value.Check(PluginIdSchema, `acme.${label(max)}`)).toBe(true);
    expect(Value.Check(PluginIdSchema, `acme.${label(max + 1)}`)).toBe(false);
  });

  it('takes as many labels as the description says, and not one more', () => {
    const max = stated(/up to (\d+) dot-separated labels/);
    expect(Value.Check(PluginIdSchema, Array(max).fill('a').join('.'))).toBe(true);
    expect(
      Value.Check(
        PluginIdSchema,
        Array(max + 1)
          .fill('a')
          .join('.'),
      ),
    ).toBe(false);
  });

  it('takes an id as long as the description says in all, and not one character more', () => {
    const max = stated(/at most (\d+) characters in all/);
    const id = (n: number) =>
      [label(60), label(60), label(60), label(60), label(n - 244)].join('.');
    expect(id(max)).toHaveLength(max);
    expect(Value.Check(PluginIdSchema, id(max))).toBe(true);
    expect(Value.Check(PluginIdSchema, id(max + 1))).toBe(false);
  });
});
