import { DomainError, RequestSubjects, type RequestSubject } from '@convergio/contracts';

/** NATS's own default `max_payload`, and the size the in-process bus pages by so both modes agree. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** Bytes of a reply kept for what wraps a page's items: the reply envelope, cursors, counts. */
export const REPLY_HEADROOM_BYTES = 64 * 1024;

/**
 * How large one message on this process's bus may be. Over NATS, the server's `max_payload`
 * as the connection learned it; in process, {@link DEFAULT_MAX_PAYLOAD}, so pages are cut the
 * same way in both modes (`enforced` false: nothing is refused there).
 */
export class BusLimits {
  constructor(
    readonly maxPayload: number = DEFAULT_MAX_PAYLOAD,
    /** True when the transport refuses a larger message (NATS). */
    readonly enforced = false,
  ) {}

  /**
   * Bytes the items of one page-shaped reply (audit events, tools) may take together, their JSON
   * as sent: `maxPayload` less {@link REPLY_HEADROOM_BYTES} (never less than half of it).
   */
  get replyBudget(): number {
    return Math.max(this.maxPayload - REPLY_HEADROOM_BYTES, Math.floor(this.maxPayload / 2));
  }
}

/**
 * Takes items from the front of `items` while their JSON fits `budget` bytes, the first one
 * always (a lone item too large for the bus is refused by the bus server, `reply_too_large`).
 * Returns how many fit.
 */
export function countWithin(items: readonly unknown[], budget: number): number {
  return countSizesWithin(jsonSizes(items), budget);
}

/**
 * {@link countWithin} for items not read yet: `sizes` are their JSON sizes in bytes (or upper
 * bounds of them), in order, consumed only as far as needed. Returns how many items fit
 * `budget` bytes, counting a comma after each; the first one always.
 */
export function countSizesWithin(sizes: Iterable<number>, budget: number): number {
  let used = 0;
  let count = 0;
  for (const size of sizes) {
    used += size + 1;
    if (used > budget && count > 0) return count;
    count++;
  }
  return count;
}

function* jsonSizes(items: readonly unknown[]): Generator<number> {
  for (const item of items) yield Buffer.byteLength(JSON.stringify(item));
}

const PUBLIC_NAMES: Record<string, string> = {
  executor: 'the executor',
  registry: 'the registry',
  secrets: 'the secret broker',
};

/** Who answers a request, in the terms of the operator guide (never the bus subject). */
export function answererOf(subject: string): string {
  const service = subject.split('.')[0];
  return PUBLIC_NAMES[service] ?? `the ${service} service`;
}

/**
 * The refusal of a reply the bus cannot carry: it names the size, the limit and what an operator
 * can change (the NATS server's `max_payload`; for a plugin call, `EXECUTOR_MAX_OUTPUT_BYTES`).
 */
export function replyTooLarge(
  subject: RequestSubject,
  bytes: number,
  maxPayload: number,
): DomainError {
  const calls =
    subject === RequestSubjects.ExecutorInvoke || subject === RequestSubjects.ExecutorInvokeBatch;
  const fix = calls
    ? 'ask for fewer calls at once or for smaller outputs; an operator can lower EXECUTOR_MAX_OUTPUT_BYTES so that a call whose output cannot travel is refused, or raise max_payload in the NATS server configuration'
    : 'ask for a smaller page; an operator can raise max_payload in the NATS server configuration';
  return new DomainError(
    'reply_too_large',
    `the answer of ${answererOf(subject)} is ${bytes} bytes, more than the bus carries (NATS max_payload ${maxPayload} bytes): ${fix}`,
    [{ code: 'max_payload', message: `at most ${maxPayload} bytes`, path: '' }],
  );
}
