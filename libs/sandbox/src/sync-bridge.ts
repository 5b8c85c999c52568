/**
 * A synchronous request/reply channel from a plugin worker to the main thread. The worker
 * writes a request into shared memory, wakes the main thread (a postMessage), and blocks in
 * `Atomics.wait`; the main thread answers asynchronously, writes the reply and calls
 * `Atomics.notify`. A worker blocked here is still stopped by `worker.terminate()`.
 *
 * Requests and replies cross in V8's serialisation (node:v8, the structured clone format), not
 * JSON: bytes (a Buffer, a Uint8Array) as themselves, a string at one byte a character when V8
 * holds it as Latin-1 and two a UTF-16 unit otherwise, nothing escaped. What crosses is bounded
 * by the bytes and characters it holds, whatever they are (ADR 0030); JSON wrote a control
 * character in 6 bytes.
 */
import { deserialize, serialize } from 'node:v8';
import { errorMessage } from './error-message.js';

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

/** Longest failure message a reply carries (an uncloneable value's message quotes the value). */
const MAX_FAILURE_CHARS = 1000;

/** Allocates a bridge whose data area holds `dataBytes` of serialised request or reply. */
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

  /**
   * Sends `op` and blocks until the main thread answers; throws what the operation threw, and
   * when the payload cannot be cloned (a function) or does not fit.
   */
  call(op: string, payload: unknown): { result: unknown; secrets: string[] } {
    if (Atomics.load(this.control, STATE) !== IDLE) throw new Error('the bridge is busy');
    write(this.control, this.data, REQUEST, serialize({ op, payload }), 'the request');
    this.wake();
    Atomics.wait(this.control, STATE, REQUEST);
    const state = Atomics.load(this.control, STATE);
    const message = copyOut(this.control, this.data);
    Atomics.store(this.control, STATE, IDLE);
    const reply = deserialize(message) as BridgeReply;
    if (state !== REPLY_OK || !reply.ok)
      throw new Error(reply.ok ? 'bad bridge reply' : reply.message);
    return { result: reply.result, secrets: reply.secrets ?? [] };
  }
}

/** The main thread's side: reads the pending request. */
export function readBridgeRequest(buffers: BridgeBuffers): BridgeRequest {
  const control = new Int32Array(buffers.control);
  if (Atomics.load(control, STATE) !== REQUEST) throw new Error('no request is pending');
  return deserialize(copyOut(control, new Uint8Array(buffers.data))) as BridgeRequest;
}

/**
 * The main thread's side: writes the reply and wakes the worker. A reply that cannot be cloned
 * (a function) or is too large becomes a failure.
 */
export function writeBridgeReply(buffers: BridgeBuffers, reply: BridgeReply): void {
  const control = new Int32Array(buffers.control);
  const data = new Uint8Array(buffers.data);
  try {
    const value = reply.ok ? { ...reply, result: reply.result ?? null } : reply;
    write(control, data, reply.ok ? REPLY_OK : REPLY_FAILED, serialize(value), 'the reply');
  } catch (error) {
    const message = errorMessage(error).slice(0, MAX_FAILURE_CHARS);
    write(control, data, REPLY_FAILED, serialize({ ok: false, message }), 'the reply');
  }
  Atomics.notify(control, STATE);
}

/**
 * A copy of the message in the data area: what is read from it (a Buffer is a view on the bytes
 * it is deserialised from) must outlive the next message written there.
 */
function copyOut(control: Int32Array, data: Uint8Array): Uint8Array {
  return data.slice(0, Atomics.load(control, LENGTH));
}

function write(
  control: Int32Array,
  data: Uint8Array,
  state: number,
  bytes: Uint8Array,
  what: string,
): void {
  if (bytes.length > data.length)
    throw new Error(`${what} takes ${bytes.length} bytes, more than the bridge's ${data.length}`);
  data.set(bytes);
  Atomics.store(control, LENGTH, bytes.length);
  // The state is written last: the reader trusts LENGTH and data once it sees the new state.
  Atomics.store(control, STATE, state);
}
