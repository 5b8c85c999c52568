import { DomainError, nestsDeeperThan } from '@convergio/contracts';
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

/**
 * What the outputs of one batch may take together: EXECUTOR_MAX_OUTPUT_BYTES, the most one call
 * returns, since the batch answers in one reply (which that setting is held to fit). Without it
 * a batch of 100 outputs of 512 KiB was held, parsed, in the executor at once: 2 GiB.
 */
export class BatchOutputBudget {
  constructor(private left: number) {}

  /**
   * Takes `bytes` of one call's output from what is left.
   * @throws DomainError `reply_too_large` when they do not fit (nothing is taken)
   */
  take(bytes: number): void {
    if (bytes > this.left)
      throw new DomainError(
        'reply_too_large',
        `this output (${bytes} bytes) does not fit the ${this.left} bytes left to the batch's outputs, which share one reply of at most EXECUTOR_MAX_OUTPUT_BYTES: ask for fewer calls at once`,
      );
    this.left -= bytes;
  }
}
