import type { EmittedEvent } from './worker-protocol.js';

/** Most events one batch holds: a plugin logging in a long loop still sends them as it goes. */
export const MAX_BATCHED_EVENTS = 256;

/**
 * Log lines and telemetry events, sent in batches instead of one message each: a message
 * between threads or processes costs microseconds, and a plugin may log on every host call.
 * A batch travels as one JSON text, written in one pass: copying one string across a thread or a
 * socket costs far less than cloning as many objects. Its form is `[kinds, payloads]`, `kinds` a
 * string of one letter per event (`l` log, `t` telemetry): a payload array stringifies in about
 * half the time of as many `{kind, payload}` objects. A log line with nothing but a level and a
 * message (most lines) is `L` and its two strings, not an object: strings stringify in about a
 * third of the time. Telemetry events the sandbox dropped travel as one count (`d`, a number)
 * at the end of the next batch, however many they were. `send` gets the batches in order;
 * `flush` sends what is held (at a call's end, before a refusal is reported, and whenever the
 * batch is full).
 */
export class EventBatch {
  private kinds = '';
  private payloads: unknown[] = [];

  /**
   * @param dropped where the count of dropped telemetry events not yet sent is kept: a worker's
   * is shared with its supervisor, which sends what a stopped worker held (see PluginWorker)
   */
  constructor(
    private readonly send: (json: string) => void,
    private readonly dropped: Float64Array<ArrayBufferLike> = new Float64Array(1),
  ) {}

  add(kind: EmittedKind, payload: unknown): void {
    this.kinds += KIND_LETTERS[kind];
    this.payloads.push(payload);
    if (this.kinds.length >= MAX_BATCHED_EVENTS) this.flush();
  }

  /** Adds the log event `{level, message}`. */
  addLogLine(level: string, message: string): void {
    this.kinds += LOG_LINE;
    this.payloads.push(level, message);
    if (this.kinds.length >= MAX_BATCHED_EVENTS) this.flush();
  }

  /** Counts one telemetry event dropped; sent as one count with the next batch. */
  countDroppedTelemetry(): void {
    this.dropped[0]++;
  }

  flush(): void {
    // Taken before the batch is sent: a worker stopped in between loses the count, never sends
    // it twice.
    if (this.dropped[0] > 0) {
      this.kinds += DROPPED_TELEMETRY;
      this.payloads.push(this.dropped[0]);
      this.dropped[0] = 0;
    }
    if (this.kinds.length === 0) return;
    const batch: Batch = [this.kinds, this.payloads];
    this.kinds = '';
    this.payloads = [];
    this.send(toJson(batch));
  }
}

type Batch = [kinds: string, payloads: unknown[]];

/** The kinds of event a host function emits (the sandbox's drop counts are not events of it). */
type EmittedKind = 'log' | 'telemetry';

const KIND_LETTERS = { log: 'l', telemetry: 't' } as const satisfies Record<EmittedKind, string>;
const KINDS_BY_LETTER: Record<string, EmittedKind> = { l: 'log', t: 'telemetry' };
const LOG_LINE = 'L';
const DROPPED_TELEMETRY = 'd';

/**
 * The events of a batch, in the order they were emitted. Throws on text that is not a batch
 * (a worker that sends one is broken).
 */
export function parseEvents(json: string): EmittedEvent[] {
  const batch = JSON.parse(json) as unknown;
  if (
    !Array.isArray(batch) ||
    batch.length !== 2 ||
    typeof batch[0] !== 'string' ||
    !Array.isArray(batch[1])
  )
    throw new SyntaxError('not an event batch');
  const [kinds, payloads] = batch as Batch;
  const events: EmittedEvent[] = [];
  let next = 0;
  for (const letter of kinds) {
    if (letter === LOG_LINE) {
      const [level, message] = [payloads[next], payloads[next + 1]];
      if (typeof level !== 'string' || typeof message !== 'string')
        throw new SyntaxError('a log line whose level or message is not a string');
      events.push({ kind: 'log', payload: { level, message } });
      next += 2;
      continue;
    }
    if (letter === DROPPED_TELEMETRY) {
      const count = payloads[next++];
      if (!Number.isSafeInteger(count) || (count as number) < 1)
        throw new SyntaxError('a count of dropped telemetry events that is not a positive integer');
      events.push({ kind: 'telemetry_dropped', payload: count as number });
      continue;
    }
    const kind = KINDS_BY_LETTER[letter];
    if (kind === undefined) throw new SyntaxError(`an event of unknown kind ${letter}`);
    events.push({ kind, payload: payloads[next++] });
  }
  if (next !== payloads.length) throw new SyntaxError('not an event batch');
  return events;
}

/** What hears the events of a batch, for the plugin that emitted them. */
interface EventHandlers<P> {
  onLog?: (plugin: P, payload: unknown) => void;
  onTelemetry?: (plugin: P, payload: unknown) => void;
  /** `count` telemetry events the sandbox dropped (its own rate limit). */
  onTelemetryDropped?: (plugin: P, count: number) => void;
}

/**
 * What hands each event of a batch to its handler for `plugin`; undefined when none is given, so
 * that batches nobody listens to are not even parsed.
 */
export function eventsListener<P>(
  plugin: P,
  { onLog, onTelemetry, onTelemetryDropped }: EventHandlers<P>,
): ((events: EmittedEvent[]) => void) | undefined {
  if (!onLog && !onTelemetry && !onTelemetryDropped) return undefined;
  return (events) => {
    for (const event of events)
      if (event.kind === 'telemetry_dropped') onTelemetryDropped?.(plugin, event.payload);
      else (event.kind === 'log' ? onLog : onTelemetry)?.(plugin, event.payload);
  };
}

// An event whose payload has no JSON form (a BigInt, a cycle: a host function's bug) travels
// as a note saying so, in its place.
function toJson(batch: Batch): string {
  try {
    return JSON.stringify(batch);
  } catch {
    return JSON.stringify([batch[0], batch[1].map(usablePayload)]);
  }
}

function usablePayload(payload: unknown): unknown {
  try {
    JSON.stringify(payload);
    return payload;
  } catch (error) {
    return { unusable: `the payload has no JSON form: ${String(error)}` };
  }
}
