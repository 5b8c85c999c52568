import { jest } from '@jest/globals';
import type { EventPayloadMap } from '@convergio/contracts';
import type { TransactionalOutbox } from '@convergio/messaging';
import { deniedEvent, DenialRecorder } from './denial-recorder.js';

type Denial = EventPayloadMap['permission.denied'];

/** An outbox that stores what it is given, a batch at a time, after a turn of the event loop. */
function slowOutbox(refuse: (d: Denial) => boolean = () => false) {
  const stored: Denial[] = [];
  const batches: number[] = [];
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const outbox = {
    recordAll: async (_subject: string, data: Denial[]) => {
      await turn();
      if (data.some(refuse)) throw new Error('refused');
      batches.push(data.length);
      stored.push(...data);
    },
    record: async (_subject: string, data: Denial) => {
      await turn();
      if (refuse(data)) throw new Error('refused');
      stored.push(data);
    },
  } as unknown as TransactionalOutbox;
  return { outbox, stored, batches };
}

const denial = (id: string, target: string, capability = 'fs.read') =>
  deniedEvent({ id, version: '1.0.0' }, { capability, target, reason: 'outside the allowlist' });

/** What the stored denials stand for: each itself, or the count its reason gives. */
const accounted = (stored: Denial[]) =>
  stored.reduce(
    (n, d) => n + Number(/^(\d+) denials of .* stands for them all/.exec(d.reason)?.[1] ?? 1),
    0,
  );

describe('DenialRecorder', () => {
  it('writes denials in batches, and folds those past the backlog into one record per kind', async () => {
    const { outbox, stored, batches } = slowOutbox();
    const recorder = new DenialRecorder(outbox, { maxWaiting: 50, batch: 10, maxFoldedKinds: 10 });
    for (let i = 0; i < 1000; i++) recorder.record(denial('acme.a', `/etc/a${i}`));
    for (let i = 0; i < 300; i++) recorder.record(denial('acme.b', `/etc/b${i}`, 'net.http'));
    await recorder.settled();
    expect(accounted(stored)).toBe(1300);
    expect(Math.max(...batches)).toBeLessThanOrEqual(10);
    const folded = stored.filter((d) => d.reason.includes('stands for them all'));
    const single = (id: string) =>
      stored.filter((d) => d.plugin_id === id && !folded.includes(d)).map((d) => d.target);
    // Each kind folded once, under the first of its targets not written on its own.
    const firstFolded = (id: string, prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => `${prefix}${i}`).find((t) => !single(id).includes(t));
    expect(folded.map((d) => [d.plugin_id, d.capability, d.target])).toEqual([
      ['acme.a', 'fs.read', firstFolded('acme.a', '/etc/a', 1000)],
      ['acme.b', 'net.http', '/etc/b0'],
    ]);
    expect(folded[0].reason).toMatch(
      new RegExp(
        `^${1000 - single('acme.a').length} denials of fs\\.read came while 50 were waiting`,
      ),
    );
    expect(stored.length).toBeLessThan(60);
  });

  it('records one by one a batch the outbox refuses, logging only the denial it cannot take', async () => {
    const { outbox, stored } = slowOutbox((d) => d.target === '/etc/bad');
    const recorder = new DenialRecorder(outbox, { maxWaiting: 50, batch: 10, maxFoldedKinds: 10 });
    const errors = jest.spyOn((recorder as unknown as { log: { error: () => void } }).log, 'error');
    for (const target of ['/etc/1', '/etc/bad', '/etc/2'])
      recorder.record(denial('acme.a', target));
    await recorder.settled();
    expect(stored.map((d) => d.target)).toEqual(['/etc/1', '/etc/2']);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('not recorded'));
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('/etc/bad'));
  });

  it('counts, and logs, denials of kinds past maxFoldedKinds', async () => {
    const { outbox, stored } = slowOutbox();
    const recorder = new DenialRecorder(outbox, { maxWaiting: 1, batch: 1, maxFoldedKinds: 2 });
    const errors = jest.spyOn((recorder as unknown as { log: { error: () => void } }).log, 'error');
    for (let i = 0; i < 5; i++) recorder.record(denial(`acme.p${i}`, '/etc/x'));
    await recorder.settled();
    // p0 is being written, p1 waits, p2 and p3 are folded (two kinds at most), p4 only counted.
    expect(stored.map((d) => d.plugin_id)).toEqual(['acme.p0', 'acme.p1', 'acme.p2', 'acme.p3']);
    expect(errors).toHaveBeenCalledWith(
      expect.stringMatching(/^1 permission\.denied events were not recorded/),
    );
  });
});
