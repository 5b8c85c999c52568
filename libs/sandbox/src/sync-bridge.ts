/**
 * A synchronous request/reply channel from a plugin worker to the main thread. The worker
 * writes a JSON request into shared memory, wakes the main thread (a postMessage), and blocks
 * in `Atomics.wait`; the main thread answers asynchronously, writes the JSON reply and calls
 * `Atomics.notify`. A worker blocked here is still stopped by `worker.terminate()`.
 */

const STATE = 0;
const LENGTH = 1;
const IDLE = 0;
const REQUEST = 1;
const REPLY_OK = 2;
const REPLY_FAILED = 3;

/** The shared memory of one bridge: a control word pair and a data area. */
export interface BridgeBuffers {
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
}

/** A request as the main thread reads it. */
export interface BridgeRequest {
  op: string;
  payload: unknown;
}

/** A reply as the main thread writes it; `secrets` are values released to the plugin (for redaction). */
export type BridgeReply =
  { ok: true; result: unknown; secrets?: string[] } | { ok: false; message: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Allocates a bridge whose data area holds `dataBytes` of JSON each way. */
export function createBridgeBuffers(dataBytes: number): BridgeBuffers {
  return {
    control: new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT),
    data: new SharedArrayBuffer(dataBytes),
  };
}

/** The worker's side: blocking calls. */
export class BridgeClient {
  private readonly control: Int32Array;
  private readonly data: Uint8Array;

  /** @param wake tells the main thread a request is waiting (in a worker: a postMessage). */
  constructor(
    buffers: BridgeBuffers,
    private readonly wake: () => void,
  ) {
    this.control = new Int32Array(buffers.control);
    this.data = new Uint8Array(buffers.data);
  }

  /** Sends `op` and blocks until the main thread answers; throws what the operation threw. */
  call(op: string, payload: unknown): { result: unknown; secrets: string[] } {
    if (Atomics.load(this.control, STATE) !== IDLE) throw new Error('the bridge is busy');
    write(this.control, this.data, REQUEST, JSON.stringify({ op, payload }), 'the request');
    this.wake();
    Atomics.wait(this.control, STATE, REQUEST);
    const state = Atomics.load(this.control, STATE);
    const text = decoder.decode(this.data.slice(0, Atomics.load(this.control, LENGTH)));
    Atomics.store(this.control, STATE, IDLE);
    const reply = JSON.parse(text) as BridgeReply;
    if (state !== REPLY_OK || !reply.ok)
      throw new Error(reply.ok ? 'bad bridge reply' : reply.message);
    return { result: reply.result, secrets: reply.secrets ?? [] };
  }
}

/** The main thread's side: reads the pending request. */
export function readBridgeRequest(buffers: BridgeBuffers): BridgeRequest {
  const control = new Int32Array(buffers.control);
  if (Atomics.load(control, STATE) !== REQUEST) throw new Error('no request is pending');
  const bytes = new Uint8Array(buffers.data).slice(0, Atomics.load(control, LENGTH));
  return JSON.parse(decoder.decode(bytes)) as BridgeRequest;
}

/** The main thread's side: writes the reply and wakes the worker. A reply too large becomes a failure. */
export function writeBridgeReply(buffers: BridgeBuffers, reply: BridgeReply): void {
  const control = new Int32Array(buffers.control);
  const data = new Uint8Array(buffers.data);
  const json = JSON.stringify(reply.ok ? { ...reply, result: reply.result ?? null } : reply);
  try {
    write(control, data, reply.ok ? REPLY_OK : REPLY_FAILED, json, 'the reply');
  } catch (error) {
    const message = JSON.stringify({ ok: false, message: (error as Error).message });
    write(control, data, REPLY_FAILED, message, 'the reply');
  }
  Atomics.notify(control, STATE);
}

function write(
  control: Int32Array,
  data: Uint8Array,
  state: number,
  json: string,
  what: string,
): void {
  const bytes = encoder.encode(json);
  if (bytes.length > data.length)
    throw new Error(`${what} takes ${bytes.length} bytes, more than the bridge's ${data.length}`);
  data.set(bytes);
  Atomics.store(control, LENGTH, bytes.length);
  // The state is written last: the reader trusts LENGTH and data once it sees the new state.
  Atomics.store(control, STATE, state);
}
