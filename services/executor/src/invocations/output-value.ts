import { nestsDeeperThan } from '@convergio/contracts';
import { SandboxError, type CallResources } from '@convergio/sandbox';

/**
 * Deepest nesting of objects and arrays a call's JSON output may have (`{}` and `[]` are 1).
 * JSON.parse reads any depth, but JSON.stringify recurses: a 12 KB output of 6,000 nested arrays
 * threw a RangeError where the executor sent its reply, and ended the process. 128 is serde_json's
 * default recursion limit, so what passes here a Rust client of the API can read too.
 */
export const MAX_OUTPUT_DEPTH = 128;

/**
 * A call's output as its caller gets it: the JSON value, or the text itself when it is not JSON.
 * @throws SandboxError `output_too_deep` (with the call's `resources`) for JSON nested deeper than
 * MAX_OUTPUT_DEPTH
 */
export function outputValue(text: string, resources: CallResources): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text;
  }
  if (nestsDeeperThan(value, MAX_OUTPUT_DEPTH))
    throw new SandboxError(
      'output_too_deep',
      `the output nests objects and arrays deeper than ${MAX_OUTPUT_DEPTH} levels`,
      resources,
    );
  return value;
}
