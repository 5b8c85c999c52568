import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { EventOutcome } from './bus-server.js';
import { InProcessHub } from './in-process-hub.js';

/** A handler that answers the given outcomes in turn (the last one repeats) and notes when it ran. */
function handler(...outcomes: EventOutcome['kind'][]) {
  const calls: number[] = [];
  const fn = (raw: unknown) => {
    calls.push(Date.now());
    const kind = outcomes[Math.min(calls.length, outcomes.length) - 1];
    return Promise.resolve(kind === 'done' ? { kind } : { kind, error: raw });
  };
  return { calls, fn };
}

describe('InProcessHub', () => {
  let hub: InProcessHub;
  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    hub = new InProcessHub();
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('delivers an event to every handler of its subject after publish returns', async () => {
    const a = handler('done');
    const b = handler('done');
    const other = handler('done');
    hub.onEvent('plugin.revoked', a.fn);
    hub.onEvent('plugin.revoked', b.fn);
    hub.onEvent('plugin.approved', other.fn);
    hub.publish('plugin.revoked', 'e1', {});
    expect(a.calls).toHaveLength(0);
    await jest.runAllTimersAsync();
    expect([a.calls.length, b.calls.length, other.calls.length]).toEqual([1, 1, 0]);
    expect(hub.pending()).toBe(0);
  });

  it('delivers an event id once, however often it is published', async () => {
    const h = handler('done');
    hub.onEvent('plugin.revoked', h.fn);
    hub.publish('plugin.revoked', 'e1', {});
    hub.publish('plugin.revoked', 'e1', {});
    await jest.runAllTimersAsync();
    hub.publish('plugin.revoked', 'e1', {});
    await jest.runAllTimersAsync();
    expect(h.calls).toHaveLength(1);
  });

  it('retries a "retry" outcome with doubling delays until the handler succeeds', async () => {
    const h = handler('retry', 'retry', 'done');
    hub.onEvent('plugin.revoked', h.fn);
    hub.publish('plugin.revoked', 'e1', {});
    await jest.advanceTimersByTimeAsync(0);
    expect(h.calls).toEqual([0]);
    await jest.advanceTimersByTimeAsync(199);
    expect(h.calls).toHaveLength(1);
    expect(hub.pending()).toBe(1);
    await jest.runAllTimersAsync();
    const waits = h.calls.slice(1).map((at, i) => Math.round((at - h.calls[i]) / 100) * 100);
    expect(waits).toEqual([200, 400]);
    expect(hub.pending()).toBe(0);
  });

  it('gives up after 8 attempts of a handler that keeps asking for a retry', async () => {
    const h = handler('retry');
    hub.onEvent('plugin.revoked', h.fn);
    hub.publish('plugin.revoked', 'e1', { id: 'e1', data: { target: '/etc/\ud800' } });
    await jest.runAllTimersAsync();
    expect(h.calls).toHaveLength(8);
    expect(hub.pending()).toBe(0);
    // Nothing else keeps the event: the error log names it and holds all of it.
    expect(Logger.prototype.error).toHaveBeenCalledWith(
      expect.stringMatching(
        /^plugin\.revoked e1 dropped, gave up after 8 attempts: .*; the event: \{"id":"e1","data":\{"target":"\/etc\/\\ud800"\}\}$/,
      ),
    );
  });

  it('never retries a poison message, and logs all of it as an error', async () => {
    const h = handler('poison');
    hub.onEvent('plugin.revoked', h.fn);
    hub.publish('plugin.revoked', 'e1', { id: 'e1' });
    await jest.runAllTimersAsync();
    expect(h.calls).toHaveLength(1);
    expect(hub.pending()).toBe(0);
    expect(Logger.prototype.error).toHaveBeenCalledWith(
      expect.stringMatching(
        /^plugin\.revoked e1 dropped, refused by its handler: .*\{"id":"e1"\}$/,
      ),
    );
  });

  it('answers a request with its one handler, and undefined when no service answers', async () => {
    hub.onRequest('registry.plugins.get', (raw) => Promise.resolve({ ok: true, data: raw }));
    await expect(hub.request('registry.plugins.get', { id: 1 })).resolves.toEqual({
      ok: true,
      data: { id: 1 },
    });
    await expect(hub.request('audit.query', {})).resolves.toBeUndefined();
    expect(() =>
      hub.onRequest('registry.plugins.get', () => Promise.resolve({ ok: true, data: null })),
    ).toThrow(/two request handlers/);
  });
});
