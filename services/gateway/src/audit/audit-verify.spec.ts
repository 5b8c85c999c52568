import type { BusClient } from '@convergio/messaging';
import { AuditVerify } from './audit-verify.js';

/**
 * A bus whose audit service answers each audit.verify with one done segment, once `release`
 * is called; it counts the segments asked for.
 */
function auditService() {
  let asked = 0;
  let release: () => void = () => undefined;
  let released = new Promise<void>((resolve) => (release = resolve));
  const bus = {
    request: async () => {
      asked++;
      await released;
      return {
        records_checked: 3,
        last: { seq: 3, event_id: 'e', hash: 'h' },
        first_broken: null,
        done: true,
      };
    },
  } as unknown as BusClient;
  return {
    verify: new AuditVerify(bus),
    asked: () => asked,
    release: () => release(),
    reset: () => {
      released = new Promise<void>((resolve) => (release = resolve));
    },
  };
}

describe('GET /v1/audit/verify', () => {
  // Each verification walks the whole chain: an auditor firing many at once used to start a
  // whole-log walk for each, loading the audit service and its database without bound.
  it('walks the chain once for verifications asked while one runs, and answers them all', async () => {
    const audit = auditService();
    const verdicts = Array.from({ length: 20 }, () => audit.verify.verify());
    audit.release();
    const answers = await Promise.all(verdicts);
    expect(audit.asked()).toBe(1);
    for (const answer of answers)
      expect(answer).toEqual({
        ok: true,
        records_checked: 3,
        first_broken: null,
        head: { seq: 3, event_id: 'e', hash: 'h' },
      });
  });

  it('walks the chain again for a verification asked after the last one ended', async () => {
    const audit = auditService();
    const first = audit.verify.verify();
    audit.release();
    await first;
    audit.reset();
    const second = audit.verify.verify();
    audit.release();
    await second;
    expect(audit.asked()).toBe(2);
  });

  it('asks segment after segment, each from the last intact record, until one is done', async () => {
    const link = (seq: number) => ({ seq, event_id: `e${seq}`, hash: `h${seq}` });
    // Segments as the audit service cuts them when records are large: short, and not done.
    const segments = [
      { records_checked: 2, last: link(2), first_broken: null, done: false },
      { records_checked: 1, last: link(3), first_broken: null, done: false },
      { records_checked: 4, last: link(7), first_broken: null, done: true },
    ];
    const asked: unknown[] = [];
    const bus = {
      request: (_subject: string, data: unknown) => {
        asked.push(data);
        return Promise.resolve(segments[asked.length - 1]);
      },
    } as unknown as BusClient;
    expect(await new AuditVerify(bus).verify()).toEqual({
      ok: true,
      records_checked: 7,
      first_broken: null,
      head: link(7),
    });
    expect(asked).toEqual([
      { after: null, limit: 5000 },
      { after: link(2), limit: 5000 },
      { after: link(3), limit: 5000 },
    ]);
  });
});
