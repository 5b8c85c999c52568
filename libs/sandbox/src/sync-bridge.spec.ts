import { jest } from '@jest/globals';
import {
  BridgeClient,
  createBridgeBuffers,
  readBridgeRequest,
  writeBridgeReply,
  type BridgeBuffers,
  type BridgeReply,
} from './sync-bridge.js';

// The main thread's part runs inside `wake`, so the client finds its reply already written and
// Atomics.wait returns at once; the cross-thread path is covered by the runtime spec.
function clientAnswering(size: number, answer: (op: string, payload: unknown) => BridgeReply) {
  const buffers: BridgeBuffers = createBridgeBuffers(size);
  return new BridgeClient(buffers, () => {
    const { op, payload } = readBridgeRequest(buffers);
    writeBridgeReply(buffers, answer(op, payload));
  });
}

describe('sync bridge', () => {
  it('carries a request and its reply, with released secrets', () => {
    const client = clientAnswering(1024, (op, payload) => ({
      ok: true,
      result: { op, payload },
      secrets: ['s3cr3t'],
    }));
    expect(client.call('http.fetch', { url: 'https://example.com/é' })).toEqual({
      result: { op: 'http.fetch', payload: { url: 'https://example.com/é' } },
      secrets: ['s3cr3t'],
    });
  });

  it('can be used again after a reply', () => {
    let n = 0;
    const client = clientAnswering(64, () => ({ ok: true, result: ++n }));
    expect([client.call('a', null).result, client.call('a', null).result]).toEqual([1, 2]);
  });

  it('turns an undefined result into null', () => {
    expect(
      clientAnswering(64, () => ({ ok: true, result: undefined })).call('a', 1).result,
    ).toBeNull();
  });

  it('throws the failure message in the caller', () => {
    const client = clientAnswering(64, () => ({ ok: false, message: 'dns failed' }));
    expect(() => client.call('a', 1)).toThrow('dns failed');
  });

  it('refuses a request larger than the data area before sending it', () => {
    const wake = jest.fn();
    const client = new BridgeClient(createBridgeBuffers(16), wake);
    expect(() => client.call('op', 'x'.repeat(32))).toThrow(/more than the bridge's 16/);
    expect(wake).not.toHaveBeenCalled();
  });

  it('carries bytes as bytes and text unescaped, whatever they hold', () => {
    // JSON wrote these 4 characters in 16 bytes, and each byte of a Buffer in up to 4.
    const text = '\u0001"\\\u001f'.repeat(256);
    const bytes = Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 256));
    const client = clientAnswering(2560, (_op, payload) => ({ ok: true, result: payload }));
    const { result } = client.call('echo', { text, bytes });
    expect(result).toEqual({ text, bytes });
    expect(Buffer.isBuffer((result as { bytes: unknown }).bytes)).toBe(true);
  });

  it('hands the caller bytes that outlive the next message', () => {
    const client = clientAnswering(64, (_op, payload) => ({ ok: true, result: payload }));
    const first = client.call('echo', Buffer.from('first')).result;
    client.call('echo', Buffer.from('second'));
    expect(first).toEqual(Buffer.from('first'));
  });

  it('replaces a reply that cannot be cloned by a failure', () => {
    const client = clientAnswering(1024, () => ({ ok: true, result: { run: () => 1 } }));
    expect(() => client.call('op', 1)).toThrow(/could not be cloned/);
  });

  it('replaces a reply larger than the data area by a failure', () => {
    const client = clientAnswering(128, () => ({ ok: true, result: 'y'.repeat(500) }));
    expect(() => client.call('op', 1)).toThrow(/reply takes \d+ bytes/);
  });
});
