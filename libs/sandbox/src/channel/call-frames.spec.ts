import { encodeFrame, FrameReader, type CallFrame } from './call-frames.js';

const FRAMES: CallFrame[] = [
  { kind: 'hello', instance: 'c0ffee' },
  { kind: 'call', id: 7, fn: 'grüßen', input: Uint8Array.of(0, 1, 255) },
  { kind: 'call', id: 9, fn: 'run', input: Uint8Array.of(7), inputSchema: 'tool-ä' },
  {
    kind: 'result',
    id: 7,
    output: new TextEncoder().encode('{"ok":true}'),
    resources: { wall_ms: 1.5, fuel_used: 42, memory_pages: 2, host_calls: 3 },
  },
  {
    kind: 'failed',
    id: 8,
    error: { code: 'cpu_limit', message: 'the call spent its fuel' },
    // A call killed in Wasm has no fuel figure; a lost instance no page count.
    resources: { wall_ms: 200, memory_pages: null, host_calls: 0 },
  },
  { kind: 'denied', capability: 'fs.read', target: '/etc/\ud800\u0000', reason: 'not granted' },
  { kind: 'emitted', json: '[{"kind":"log","payload":{"message":"\\ud800 é"}}]' },
];

const plain = (frame: CallFrame) =>
  JSON.parse(
    JSON.stringify(frame, (_key, value: unknown) =>
      value instanceof Uint8Array ? [...value] : value,
    ),
  ) as unknown;

describe('call frames', () => {
  it('carry every frame kind across unchanged, lone surrogates and NUL included', () => {
    const reader = new FrameReader(1 << 20);
    const read = reader.push(Buffer.concat(FRAMES.map(encodeFrame)));
    expect(read.map(plain)).toEqual(FRAMES.map(plain));
  });

  it('reassemble frames split anywhere, one byte at a time', () => {
    const reader = new FrameReader(1 << 20);
    const bytes = Buffer.concat(FRAMES.map(encodeFrame));
    const read: CallFrame[] = [];
    for (let i = 0; i < bytes.length; i++) read.push(...reader.push(bytes.subarray(i, i + 1)));
    expect(read.map(plain)).toEqual(FRAMES.map(plain));
  });

  it('refuse a frame longer than the reader allows, before buffering it', () => {
    const reader = new FrameReader(64);
    const header = Buffer.alloc(4);
    header.writeUInt32LE(1 << 30);
    expect(() => reader.push(header)).toThrow(RangeError);
  });

  it('refuse a frame of an unknown kind', () => {
    const reader = new FrameReader(64);
    expect(() => reader.push(Buffer.from([1, 0, 0, 0, 99]))).toThrow(/unknown kind/);
  });
});
