// Frames between the executor and one plugin worker of a sandbox process, on the Unix socket the
// worker opens to the executor (ADR 0006): [u32 LE body length][u8 kind][body]. Calls, results
// and what a call emitted cross here without the sandbox process's main thread.
import type { CallResources } from '../call-limits.js';
import type { DeniedEvent } from '../sandbox-runtime.js';
import type { WorkerFailure } from '../worker-protocol.js';

/** A frame as sent or received. `emitted` is the JSON text of an event batch (see EventBatch). */
export type CallFrame =
  | { kind: 'hello'; instance: string }
  | { kind: 'call'; id: number; fn: string; input: Uint8Array; inputSchema?: string }
  | { kind: 'result'; id: number; output: Uint8Array; resources: CallResources }
  | { kind: 'failed'; id: number; error: WorkerFailure; resources: CallResources }
  | ({ kind: 'denied' } & DeniedEvent)
  | { kind: 'emitted'; json: string };

const KINDS = ['hello', 'call', 'result', 'failed', 'denied', 'emitted'] as const;
const HEADER_BYTES = 5;
const RESOURCES_BYTES = 32;

/** Encodes `frame`; the result is handed to the socket as it is. */
export function encodeFrame(frame: CallFrame): Buffer {
  switch (frame.kind) {
    case 'call': {
      // [u32 id][u16 fn bytes][u16 input schema bytes, 0: none][fn][input schema][input]
      const schema = frame.inputSchema ?? '';
      const fnBytes = Buffer.byteLength(frame.fn, 'utf8');
      const schemaBytes = Buffer.byteLength(schema, 'utf8');
      const out = header('call', 8 + fnBytes + schemaBytes + frame.input.length);
      out.writeUInt32LE(frame.id, HEADER_BYTES);
      out.writeUInt16LE(fnBytes, HEADER_BYTES + 4);
      out.writeUInt16LE(schemaBytes, HEADER_BYTES + 6);
      out.write(frame.fn, HEADER_BYTES + 8, 'utf8');
      if (schemaBytes > 0) out.write(schema, HEADER_BYTES + 8 + fnBytes, 'utf8');
      out.set(frame.input, HEADER_BYTES + 8 + fnBytes + schemaBytes);
      return out;
    }
    case 'result': {
      const out = header('result', 4 + RESOURCES_BYTES + frame.output.length);
      writeCall(out, frame.id, frame.resources);
      out.set(frame.output, HEADER_BYTES + 4 + RESOURCES_BYTES);
      return out;
    }
    case 'failed': {
      const error = Buffer.from(JSON.stringify(frame.error), 'utf8');
      const out = header('failed', 4 + RESOURCES_BYTES + error.length);
      writeCall(out, frame.id, frame.resources);
      error.copy(out, HEADER_BYTES + 4 + RESOURCES_BYTES);
      return out;
    }
    case 'hello':
      return textFrame('hello', frame.instance);
    case 'denied': {
      const { capability, target, reason } = frame;
      return textFrame('denied', JSON.stringify({ capability, target, reason }));
    }
    case 'emitted':
      return textFrame('emitted', frame.json);
  }
}

/**
 * Reassembles frames from a byte stream. A frame longer than `maxFrameBytes` or of an unknown
 * kind is a broken peer: `push` throws and the stream must be dropped.
 */
export class FrameReader {
  private pending: Buffer | null = null;

  constructor(private readonly maxFrameBytes: number) {}

  /** The frames `chunk` completes, in order. */
  push(chunk: Buffer): CallFrame[] {
    let data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: CallFrame[] = [];
    while (data.length >= 4) {
      const length = data.readUInt32LE(0);
      if (length < 1 || length > this.maxFrameBytes)
        throw new RangeError(`a frame of ${length} bytes (at most ${this.maxFrameBytes})`);
      if (data.length < 4 + length) break;
      frames.push(decode(data.subarray(4, 4 + length)));
      data = data.subarray(4 + length);
    }
    this.pending = data.length > 0 ? data : null;
    return frames;
  }
}

function decode(body: Buffer): CallFrame {
  const kind = KINDS[body[0] - 1];
  switch (kind) {
    case 'call': {
      const fnEnd = 9 + body.readUInt16LE(5);
      const schemaEnd = fnEnd + body.readUInt16LE(7);
      const frame: Extract<CallFrame, { kind: 'call' }> = {
        kind,
        id: body.readUInt32LE(1),
        fn: body.toString('utf8', 9, fnEnd),
        input: view(body, schemaEnd),
      };
      if (schemaEnd > fnEnd) frame.inputSchema = body.toString('utf8', fnEnd, schemaEnd);
      return frame;
    }
    case 'result':
      return { kind, ...readCall(body), output: view(body, 5 + RESOURCES_BYTES) };
    case 'failed':
      return {
        kind,
        ...readCall(body),
        error: JSON.parse(body.toString('utf8', 5 + RESOURCES_BYTES)) as WorkerFailure,
      };
    case 'hello':
      return { kind, instance: body.toString('utf8', 1) };
    case 'denied':
      return { kind, ...(JSON.parse(body.toString('utf8', 1)) as DeniedEvent) };
    case 'emitted':
      return { kind, json: body.toString('utf8', 1) };
    default:
      throw new RangeError(`a frame of unknown kind ${body[0]}`);
  }
}

function header(kind: CallFrame['kind'], bodyBytes: number): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + bodyBytes);
  out.writeUInt32LE(1 + bodyBytes, 0);
  out[4] = KINDS.indexOf(kind) + 1;
  return out;
}

function textFrame(kind: CallFrame['kind'], text: string): Buffer {
  const out = header(kind, Buffer.byteLength(text, 'utf8'));
  out.write(text, HEADER_BYTES, 'utf8');
  return out;
}

// Absent figures (fuel of a killed call, pages of a lost instance) travel as NaN.
function writeCall(out: Buffer, id: number, resources: CallResources): void {
  out.writeUInt32LE(id, HEADER_BYTES);
  out.writeDoubleLE(resources.wall_ms, HEADER_BYTES + 4);
  out.writeDoubleLE(resources.fuel_used ?? NaN, HEADER_BYTES + 12);
  out.writeDoubleLE(resources.memory_pages ?? NaN, HEADER_BYTES + 20);
  out.writeDoubleLE(resources.host_calls, HEADER_BYTES + 28);
}

function readCall(body: Buffer): { id: number; resources: CallResources } {
  const fuel = body.readDoubleLE(13);
  const pages = body.readDoubleLE(21);
  const resources: CallResources = {
    wall_ms: body.readDoubleLE(5),
    memory_pages: Number.isNaN(pages) ? null : pages,
    host_calls: body.readDoubleLE(29),
  };
  if (!Number.isNaN(fuel)) resources.fuel_used = fuel;
  return { id: body.readUInt32LE(1), resources };
}

// The rest of the frame, without a copy: a view of the bytes read, which nothing writes again.
const view = (body: Buffer, from: number) =>
  new Uint8Array(body.buffer, body.byteOffset + from, body.length - from);
