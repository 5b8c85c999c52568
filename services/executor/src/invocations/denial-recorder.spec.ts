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

/** Small bounds, so that a test reaches each of them. */
const LIMITS = {
  maxWaiting: 50,
  maxWaitingPerVersion: 40,
  batch: 10,
  maxFoldedKinds: 100,
  maxTargetsPerKind: 5,
};

describe('DenialRecorder', () => {
  it('writes denials in batches, and folds those past the backlog: each target up to a bound, then the rest of its kind', async () => {
    const { outbox, stored, batches } = slowOutbox();
    const recorder = new DenialRecorder(outbox, { ...LIMITS, maxWaitingPerVersion: 30 });
    for (let i = 0; i < 1000; i++) recorder.record(denial('acme.a', `/etc/a${i}`));
    for (let i = 0; i < 300; i++) recorder.record(denial('acme.b', `/etc/b${i}`, 'net.http'));
    await recorder.settled();
    expect(accounted(stored)).toBe(1300);
    expect(Math.max(...batches)).toBeLessThanOrEqual(10);
    const folded = stored.filter((d) => d.reason.includes('stands for them all'));
    // Per kind, 5 targets folded by name and one record for the rest.
    for (const [id, capability] of [
      ['acme.a', 'fs.read'],
      ['acme.b', 'net.http'],
    ]) {
      const ofKind = folded.filter((d) => d.plugin_id === id && d.capability === capability);
      expect(ofKind.map((d) => /of this target/.test(d.reason))).toEqual([
        true,
        true,
        true,
        true,
        true,
        false,
      ]);
      expect(ofKind.at(-1)!.reason).toMatch(
        /^\d+ denials of \S+ of targets past the 5 recorded by name came while 50 denials \(or 30 of this version\)/,
      );
    }
    expect(stored.length).toBeLessThan(80);
  });

  it('keeps every target a flood of one target would hide: 9,000 of /etc/shadow, then 20 probes', async () => {
    const { outbox, stored } = slowOutbox();
    const recorder = new DenialRecorder(outbox);
    for (let i = 0; i < 9000; i++) recorder.record(denial('acme.a', '/etc/shadow'));
    for (let i = 0; i < 20; i++) recorder.record(denial('acme.a', `/root/.ssh/PROBE-${i}`));
    await recorder.settled();
    expect(accounted(stored)).toBe(9020);
    const targets = new Set(stored.map((d) => d.target));
    for (let i = 0; i < 20; i++) expect(targets).toContain(`/root/.ssh/PROBE-${i}`);
    expect(stored.length).toBeLessThan(250);
  });

  it("leaves another plugin's denials their own records while one plugin floods", async () => {
    const { outbox, stored } = slowOutbox();
    const recorder = new DenialRecorder(outbox, LIMITS);
    for (let i = 0; i < 5000; i++) recorder.record(denial('acme.flood', `/etc/f${i}`));
    for (let i = 0; i < 10; i++) recorder.record(denial('acme.other', `/etc/o${i}`));
    await recorder.settled();
    expect(accounted(stored)).toBe(5010);
    expect(
      stored.filter((d) => d.plugin_id === 'acme.other').map((d) => [d.target, d.reason]),
    ).toEqual(Array.from({ length: 10 }, (_, i) => [`/etc/o${i}`, 'outside the allowlist']));
  });

  it('records one by one a batch the outbox refuses, logging only the denial it cannot take', async () => {
    const { outbox, stored } = slowOutbox((d) => d.target === '/etc/bad');
    const recorder = new DenialRecorder(outbox, LIMITS);
    const errors = jest.spyOn((recorder as unknown as { log: { error: () => void } }).log, 'error');
    for (const target of ['/etc/1', '/etc/bad', '/etc/2'])
      recorder.record(denial('acme.a', target));
    await recorder.settled();
    expect(stored.map((d) => d.target)).toEqual(['/etc/1', '/etc/2']);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('not recorded'));
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('/etc/bad'));
  });

  it('keeps a record of a new kind of denial (version and capability) when a flood filled the folded records', async () => {
    const { outbox, stored } = slowOutbox();
    // The executor's own bounds: 2000 waiting, 200 a version, 1000 folded, 64 targets a kind.
    const recorder = new DenialRecorder(outbox);
    // Four plugins of one publisher, each refused on 64+ targets of every capability it can be.
    const capabilities = ['fs.read', 'net.http', 'net.websocket', 'proc.exec', 'telemetry.emit'];
    for (const id of ['mallory.a', 'mallory.b', 'mallory.c', 'mallory.d'])
      for (const capability of capabilities)
        for (let i = 0; i < 300; i++) recorder.record(denial(id, `/t/${i}`, capability));
    // Then the probe it wants unrecorded: a kind (version and capability) of its own.
    recorder.record(denial('mallory.a', 'prod-db-password', 'secrets.read'));
    await recorder.settled();
    expect(stored).toContainEqual(
      expect.objectContaining({
        plugin_id: 'mallory.a',
        capability: 'secrets.read',
        target: 'prod-db-password',
      }),
    );
    expect(accounted(stored)).toBe(4 * 5 * 300 + 1);
  });

  it('gives each kind past maxFoldedKinds one record for all its denials', async () => {
    const { outbox, stored } = slowOutbox();
    const recorder = new DenialRecorder(outbox, {
      ...LIMITS,
      maxWaiting: 1,
      batch: 1,
      maxFoldedKinds: 2,
    });
    for (let i = 0; i < 5; i++) recorder.record(denial(`acme.p${i}`, '/etc/x'));
    for (let i = 0; i < 3; i++) recorder.record(denial('acme.p4', `/etc/y${i}`));
    await recorder.settled();
    // p0 is being written, p1 waits, p2 and p3 are folded by target (two at most), p4 as the rest
    // of its kind.
    expect(stored.map((d) => d.plugin_id)).toEqual([
      'acme.p0',
      'acme.p1',
      'acme.p2',
      'acme.p3',
      'acme.p4',
    ]);
    expect(stored.at(-1)!.reason).toMatch(/^4 denials of fs\.read of targets past the 5/);
    expect(accounted(stored)).toBe(8);
  });
});
