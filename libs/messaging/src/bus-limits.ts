import type { Provider } from '@nestjs/common';
import { ConfigError } from '@convergio/config';
import { DomainError, RequestSubjects, type RequestSubject } from '@convergio/contracts';

/** NATS's own default `max_payload`, and the size the in-process bus pages by so both modes agree. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/**
 * Bytes of a message kept for what wraps its body: a request's or a reply's envelope, a page's
 * cursors and counts.
 */
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
   * Bytes the body of one message may take, its JSON as sent: the items of one page-shaped reply
   * (audit events, tools) together, one call's output, a request's input or manifest.
   * `maxPayload` less {@link REPLY_HEADROOM_BYTES} (never less than half of it).
   */
  get replyBudget(): number {
    return Math.max(this.maxPayload - REPLY_HEADROOM_BYTES, Math.floor(this.maxPayload / 2));
  }
}

/** An operator setting that bounds the body of one message on the bus. */
export interface BusBoundSetting {
  /** The environment variable, e.g. `EXECUTOR_MAX_OUTPUT_BYTES`. */
  variable: string;
  /** Its value, bytes. */
  bytes: number;
  /** What travels, for the operator: `one call's output (its reply to the gateway)`. */
  carries: string;
}

/**
 * Refuses at boot settings that would let a message grow past what the bus carries: over NATS,
 * every setting whose bytes are over {@link BusLimits.replyBudget}; in process (nothing
 * enforced), none.
 * @throws ConfigError naming each such variable, its budget, the server's max_payload and what
 * to change
 */
export function checkFitsBus(settings: readonly BusBoundSetting[], limits: BusLimits): void {
  if (!limits.enforced) return;
  const over = settings.filter((s) => s.bytes > limits.replyBudget);
  if (over.length === 0) return;
  throw new ConfigError(
    over.map(({ variable, bytes, carries }) => ({
      variable,
      expected: `at most ${limits.replyBudget} bytes, so that ${carries} fits one message on the bus (the NATS server's max_payload, ${limits.maxPayload} bytes, less ${REPLY_HEADROOM_BYTES} for the message around it): lower ${variable}, or raise max_payload in the NATS server configuration`,
      received: String(bytes),
    })),
  );
}

/**
 * A provider that runs {@link checkFitsBus} on `settings` against the process's {@link BusLimits}
 * when its module starts (nothing injects it): the service refuses to start rather than fail
 * each large message later.
 */
export function fitsBusProvider(settings: readonly BusBoundSetting[]): Provider {
  return {
    provide: Symbol('FITS_BUS'),
    inject: [BusLimits],
    useFactory: (limits: BusLimits) => checkFitsBus(settings, limits),
  };
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
 * One page of a list read with `LIMIT limit + 1` (items in page order): the first `limit` items,
 * fewer when their JSON would pass `budget` bytes ({@link countWithin}); `more` when any item
 * read is left for the next page.
 */
export function pageWithin<T>(
  items: readonly T[],
  limit: number,
  budget: number,
): { page: T[]; more: boolean } {
  const page = items.slice(0, countWithin(items.slice(0, limit), budget));
  return { page, more: items.length > page.length };
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

/** The settings that bound a request on `subject`, for an operator who meets {@link requestTooLarge}. */
function requestSetting(subject: string): string | undefined {
  if (subject === RequestSubjects.ExecutorInvoke || subject === RequestSubjects.ExecutorInvokeBatch)
    return 'GATEWAY_MAX_INVOKE_BYTES';
  if (subject === RequestSubjects.RegistrySubmit) return 'GATEWAY_MAX_MANIFEST_BYTES';
  return undefined;
}

/**
 * The refusal of a request the bus cannot carry (a body that grew past max_payload once
 * re-encoded, or a limit raised past it): 413 `payload_too_large` naming its size, the limit and
 * the setting an operator can lower so that such input is refused at the edge.
 */
export function requestTooLarge(subject: string, bytes: number, maxPayload: number): DomainError {
  const setting = requestSetting(subject);
  const fix = setting
    ? `send less; an operator can lower ${setting} so that such a request is refused at once, or raise max_payload in the NATS server configuration`
    : 'send less; an operator can raise max_payload in the NATS server configuration';
  return new DomainError(
    'payload_too_large',
    `the request to ${answererOf(subject)} is ${bytes} bytes, more than the bus carries (NATS max_payload ${maxPayload} bytes): ${fix}`,
    [{ code: 'max_payload', message: `at most ${maxPayload} bytes`, path: '' }],
  );
}
