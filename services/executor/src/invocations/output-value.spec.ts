import { SandboxError } from '@convergio/sandbox';
import { MAX_OUTPUT_DEPTH, outputValue } from './output-value.js';

const resources = { wall_ms: 1, fuel_used: 2, memory_pages: 1, host_calls: 0 };
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('outputValue', () => {
  it('answers JSON as its value and anything else as its text', () => {
    expect(outputValue('{"a":[1,"é"]}', resources)).toEqual({ a: [1, 'é'] });
    expect(outputValue('plain text', resources)).toBe('plain text');
    expect(outputValue('[[[', resources)).toBe('[[[');
  });

  it(`takes JSON nested ${MAX_OUTPUT_DEPTH} deep`, () => {
    expect(outputValue(nested(MAX_OUTPUT_DEPTH), resources)).toBeInstanceOf(Array);
  });

  it.each([MAX_OUTPUT_DEPTH + 1, 6000, 100_000])(
    'refuses JSON nested %i deep with output_too_deep and the resources the call used',
    (depth) => {
      const refusal = (() => {
        try {
          outputValue(nested(depth), resources);
        } catch (error) {
          return error;
        }
      })();
      expect(refusal).toBeInstanceOf(SandboxError);
      expect(refusal).toMatchObject({
        code: 'output_too_deep',
        message: `the output nests objects and arrays deeper than ${MAX_OUTPUT_DEPTH} levels`,
        resources,
      });
    },
  );
});
