import type { InputRefusal } from '@convergio/sandbox';
import { compileInputSchema } from './tool-input-check.js';
import { DEFAULT_INPUT_SCHEMA_BOUNDS } from './tool-input-schema.js';

const nameSchema = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1 } },
  additionalProperties: false,
};

/** The refusal of `input` under `schema`, or `undefined` when it passes. */
const check = (schema: unknown, input: unknown) =>
  compileInputSchema(schema, DEFAULT_INPUT_SCHEMA_BOUNDS)(input);

/** The refusal of `input` under `schema`; fails the test when the input passes. */
function refusal(schema: unknown, input: unknown): InputRefusal {
  const refused = check(schema, input);
  if (!refused) throw new Error('expected the input to be refused');
  return refused;
}

/** Why the schema cannot be used (the plugin's fault); fails the test when it compiles. */
function unusable(schema: unknown, bounds = DEFAULT_INPUT_SCHEMA_BOUNDS): Error {
  try {
    compileInputSchema(schema, bounds);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the schema to be refused');
}

describe('compileInputSchema', () => {
  it('lets input that matches the schema through', () => {
    expect(check(nameSchema, { name: 'Ada' })).toBeUndefined();
  });

  it('refuses bad input, listing every problem with its path', () => {
    const refused = refusal(nameSchema, { name: '', extra: true });
    expect(refused.message).toBe('input does not match the tool input_schema');
    expect(refused.details.map((d) => `${d.code} ${d.path}`)).toEqual(
      expect.arrayContaining(['schema.minLength /name', 'schema.additionalProperties /extra']),
    );
  });

  it('refuses a missing required field, naming it', () => {
    expect(refusal(nameSchema, {}).details).toEqual([
      expect.objectContaining({ code: 'schema.required', path: '/name' }),
    ]);
  });

  it.each([
    ['an unknown type', { type: 'nope' }],
    ['a reference to nothing', { $ref: '#/definitions/missing' }],
  ])('blames the tool when its input_schema has %s', (_what, schema) => {
    expect(unusable(schema).message).toMatch(/^the tool's input_schema does not compile: /);
  });

  it('blames the tool for a schema over the bounds verification holds today, even if approved before them', () => {
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 40; i++) deep = { type: 'array', items: deep };
    expect(unusable(deep).message).toMatch(
      /^the tool's input_schema nests objects and arrays deeper than 32 levels/,
    );
  });

  it('holds schemas to the bounds it is given, naming the setting', () => {
    const schema = { type: 'object', properties: { a: { type: 'object' } } };
    expect(check(schema, { a: {} })).toBeUndefined();
    expect(unusable(schema, { maxBytes: 64 * 1024, maxDepth: 2 }).message).toBe(
      "the tool's input_schema nests objects and arrays deeper than 2 levels, the limit set by INPUT_SCHEMA_MAX_DEPTH",
    );
    expect(unusable(schema, { maxBytes: 40, maxDepth: 32 }).message).toBe(
      `the tool's input_schema is ${JSON.stringify(schema).length} bytes as JSON, more than 40, the limit set by INPUT_SCHEMA_MAX_BYTES`,
    );
  });

  it('keeps one plugin from breaking or borrowing another plugin schema through $id', () => {
    const schema = { $id: 'https://example.com/input', type: 'object', required: ['a'] };
    expect(check(schema, { a: 1 })).toBeUndefined();
    expect(check({ ...schema, required: ['b'] }, { b: 1 })).toBeUndefined();
    expect(unusable({ $ref: 'https://example.com/input' }).message).toMatch(/does not compile/);
  });
});

describe('compileInputSchema against patterns written to stall the check', () => {
  // A backtracking engine takes over a minute on this input (^(a|a)*$ doubles its work per `a`);
  // Jest's timeout below is the failure mode, nothing here measures time.
  const catastrophic = { type: 'string', pattern: '^(a|a)*$' };
  const attack = `${'a'.repeat(31)}!`;

  it('refuses ^(a|a)*$ against 31 a and ! at once, naming the pattern', () => {
    expect(refusal(catastrophic, attack).details).toEqual([
      expect.objectContaining({ code: 'schema.pattern', path: '/' }),
    ]);
  }, 5_000);

  it('still answers a bystander correctly after a pathological check', () => {
    refusal(catastrophic, attack);
    expect(check(catastrophic, 'a'.repeat(31))).toBeUndefined();
    expect(check(nameSchema, { name: 'Ada' })).toBeUndefined();
  }, 5_000);

  it('runs patternProperties without backtracking too', () => {
    const schema = { type: 'object', patternProperties: { '^(a|a)*$': { type: 'number' } } };
    // The attack key does not match (so it is unconstrained); `aaa` matches and must be a number.
    expect(check(schema, { [attack]: 'x', aaa: 1 })).toBeUndefined();
    expect(refusal(schema, { [attack]: 'x', aaa: 'y' }).details).toEqual([
      expect.objectContaining({ path: '/aaa' }),
    ]);
  }, 5_000);

  it('runs propertyNames patterns without backtracking too', () => {
    const schema = { type: 'object', propertyNames: { pattern: '^(a|a)*$' } };
    expect(refusal(schema, { [attack]: 1 }).message).toBe(
      'input does not match the tool input_schema',
    );
  }, 5_000);

  it('refuses input whose pattern checks would cost more than the budget, with a coded detail', () => {
    // 50 bounded repeats compile to about 50,000 RE2 instructions; on 100,000 characters the
    // linear-time engine still scans for tens of seconds. The budget refuses it before it starts.
    const schema = { type: 'string', pattern: '[a-c]{999}'.repeat(50) };
    expect(refusal(schema, 'a'.repeat(100_000)).details).toEqual([
      expect.objectContaining({ code: 'schema.pattern_budget' }),
    ]);
    // A short input is checked as usual (it is too short to match).
    expect(refusal(schema, 'a'.repeat(100)).details).toEqual([
      expect.objectContaining({ code: 'schema.pattern' }),
    ]);
  }, 10_000);

  it.each([
    ['a backreference', '^(a)\\1$'],
    ['a lookahead', '^a(?=b)'],
    ['a lookbehind', '(?<!a)b'],
  ])('blames the tool for a schema with %s (no linear-time engine runs it)', (_w, pattern) => {
    expect(unusable({ type: 'string', pattern }).message).toMatch(/input_schema/);
  });

  it('blames the tool for an $async schema, whose promise would otherwise pass every input', () => {
    expect(unusable({ $async: true, type: 'string' }).message).toMatch(/\$async/);
  });

  it('keeps the pattern semantics of JSON Schema: unanchored, Unicode, \\d and \\u escapes', () => {
    const compiled = compileInputSchema(
      { type: 'string', pattern: '\\d{3}-\\u00e9' },
      DEFAULT_INPUT_SCHEMA_BOUNDS,
    );
    expect(compiled('ref 123-é!')).toBeUndefined();
    expect(compiled('12-é')?.message).toBe('input does not match the tool input_schema');
  });
});

describe('compileInputSchema against uniqueItems written to stall the check', () => {
  const unique = { type: 'array', uniqueItems: true };

  it('checks 95,000 distinct objects (a 1 MiB input) in linear time', () => {
    const items = Array.from({ length: 95_000 }, (_, k) => ({ k }));
    expect(JSON.stringify(items).length).toBeGreaterThan(1_000_000);
    const compiled = compileInputSchema(unique, DEFAULT_INPUT_SCHEMA_BOUNDS);
    const started = performance.now();
    expect(compiled(items)).toBeUndefined();
    // Ajv's pairwise comparison took 1.3 to 2.6 s for 8,000 of them (the default wall time is
    // 2 s), so minutes for these 141 times as many pairs; linear, it takes 0.2 to 0.8 s on a
    // loaded 2-core box. The bound sits far from both, so a busy CI machine cannot fail it.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('keeps JSON Schema equality: key order does not count, 1 equals 1.0, [1,2] is not [2,1]', () => {
    expect(
      refusal(unique, [
        { a: 1, b: 2 },
        { b: 2, a: 1.0 },
      ]).details,
    ).toEqual([
      expect.objectContaining({
        code: 'schema.uniqueItems',
        message: 'must NOT have duplicate items (items ## 0 and 1 are identical)',
      }),
    ]);
    expect(refusal(unique, [1, 2, 1.0]).details[0].message).toContain('items ## 0 and 2');
    expect(check(unique, [[1, 2], [2, 1], '1', 1, null, 'null', {}, []])).toBeUndefined();
    expect(check({ type: 'array', uniqueItems: false }, [1, 1])).toBeUndefined();
  });
});
