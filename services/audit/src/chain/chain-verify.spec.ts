import { randomUUID } from 'node:crypto';
import {
  EventSubjects,
  RequestSubjects,
  type AuditChainLink,
  type ReplyMap,
} from '@convergio/contracts';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { expectEventually } from '@convergio/testing';
import { bytesReadBy } from '../bytes-read.spec-helper.js';
import { AuditWriter } from '../events/audit-writer.js';
import { auditPersistence, AuditModule } from '../index.js';
import { CHAIN_READ_BUDGET } from './stored-records.js';

describe('audit chain verification', () => {
  let h: ServiceHarness;

  beforeAll(async () => {
    h = await startServiceHarness({ ...auditPersistence, feature: AuditModule });
    for (let i = 0; i < 12; i++)
      await h.bus.publish(EventSubjects.PluginUnloaded, {
        plugin_id: 'a.chain',
        version: `1.0.${i}`,
        instance: 'i',
        reason: 'idle',
      });
    await expectEventually(async () => expect(await count()).toBe(12));
  });
  afterAll(() => h?.close());

  const count = async () =>
    Number(
      (await h.dataSource.query<{ n: string }[]>('SELECT count(*) AS n FROM audit.events'))[0].n,
    );
  /** Walks the chain in segments of `limit`, as the gateway does. */
  async function verify(limit = 5) {
    let after: AuditChainLink | null = null;
    let checked = 0;
    for (;;) {
      const s: ReplyMap['audit.verify'] = await h.bus.request(RequestSubjects.AuditVerify, {
        after,
        limit,
      });
      checked += s.records_checked;
      after = s.last ?? after;
      if (s.done) return { checked, broken: s.first_broken, head: after };
    }
  }
  const row = async (seq: number) =>
    (
      await h.dataSource.query<Record<string, unknown>[]>(
        'SELECT * FROM audit.events WHERE seq = $1',
        [seq],
      )
    )[0];
  /** As a superuser would: the append-only triggers disabled for one transaction. */
  const tamper = (sql: string, parameters: unknown[] = []) =>
    h.dataSource.transaction(async (m) => {
      await m.query('ALTER TABLE audit.events DISABLE TRIGGER USER');
      await m.query(sql, parameters);
      await m.query('ALTER TABLE audit.events ENABLE TRIGGER USER');
    });

  it('finds the appended chain intact across segments and reports its head', async () => {
    const last = await row(12);
    expect(await verify()).toEqual({
      checked: 12,
      broken: null,
      head: { seq: 12, event_id: last.event_id, hash: last.hash },
    });
  });

  it('names a record changed in place, and is intact again once it is restored', async () => {
    const original = await row(4);
    await tamper(
      `UPDATE audit.events SET data = jsonb_set(data, '{reason}', '"crashed"') WHERE seq = 4`,
    );
    expect(await verify()).toMatchObject({
      checked: 3,
      broken: { seq: 4, event_id: original.event_id, problem: 'changed' },
    });
    await tamper(`UPDATE audit.events SET data = $1 WHERE seq = 4`, [
      JSON.stringify(original.data),
    ]);
    expect((await verify()).broken).toBeNull();
  });

  it('names a record whose stored hash was overwritten', async () => {
    const hash = (await row(6)).hash;
    await tamper(`UPDATE audit.events SET hash = repeat('a', 64) WHERE seq = 6`);
    expect((await verify()).broken).toMatchObject({ seq: 6, problem: 'changed' });
    await tamper(`UPDATE audit.events SET hash = $1 WHERE seq = 6`, [hash]);
    expect((await verify()).broken).toBeNull();
  });

  it('names the record after a removed one', async () => {
    const removed = await row(8);
    await tamper('DELETE FROM audit.events WHERE seq = 8');
    expect(await verify()).toMatchObject({
      checked: 7,
      broken: { seq: 9, problem: 'removed' },
    });
    await tamper(
      `INSERT INTO audit.events SELECT * FROM jsonb_populate_record(NULL::audit.events, $1)`,
      [JSON.stringify(removed)],
    );
    expect((await verify()).broken).toBeNull();
  });

  it('names an inserted record, in the middle of the chain or after its end', async () => {
    const copy = async (seq: number, newSeq: number) => {
      await tamper(
        `INSERT INTO audit.events (seq, event_id, type, source, plugin_id, version, correlation_id, occurred_at, recorded_at, data, prev_hash, hash)
         SELECT $2, gen_random_uuid(), type, source, plugin_id, version, correlation_id, occurred_at, recorded_at, data, prev_hash, hash
         FROM audit.events WHERE seq = $1`,
        [seq, newSeq],
      );
    };
    await copy(3, 0);
    expect((await verify()).broken).toMatchObject({ seq: 0, problem: 'inserted' });
    await tamper('DELETE FROM audit.events WHERE seq = 0');
    await copy(3, 13);
    expect(await verify()).toMatchObject({ checked: 12, broken: { seq: 13, problem: 'inserted' } });
    await tamper('DELETE FROM audit.events WHERE seq = 13');
    expect((await verify()).broken).toBeNull();
  });

  it('reads about its byte budget of records per segment, however many are asked for, and still walks to the head', async () => {
    // Twenty events of 300 KB after the twelve: 6 MB would be one segment of 5,000.
    for (let i = 0; i < 20; i++)
      await h.app.get(AuditWriter).append({
        id: randomUUID(),
        type: EventSubjects.PluginRevoked,
        version: 1,
        occurred_at: '2026-11-30T05:00:00.000Z',
        source: 'approval',
        correlation_id: randomUUID(),
        data: {
          plugin_id: 'a.heavy',
          version: `1.0.${i}`,
          revoked_by: 'x',
          note: 'y'.repeat(300_000),
        },
      });
    let first: ReplyMap['audit.verify'] | undefined;
    const { total: bytes } = await bytesReadBy(h.dataSource, async () => {
      first = await h.bus.request(RequestSubjects.AuditVerify, { after: null, limit: 5000 });
    });
    expect(first).toMatchObject({ first_broken: null, done: false });
    expect(first!.records_checked).toBeLessThan(32);
    expect(bytes).toBeLessThanOrEqual(CHAIN_READ_BUDGET + 64 * 1024);
    const head = await row(32);
    expect(await verify(5000)).toEqual({
      checked: 32,
      broken: null,
      head: { seq: 32, event_id: head.event_id, hash: head.hash },
    });

    // The last record of that segment, forged (its size kept, so the segment ends there again),
    // and the record after it linked over it.
    const end = first!.last!.seq;
    const [before, forged, after] = [await row(end - 1), await row(end), await row(end + 1)];
    await tamper(
      `UPDATE audit.events SET data = jsonb_set(data, '{note}', to_jsonb(repeat('z', 300000))) WHERE seq = $1`,
      [end],
    );
    await tamper(`UPDATE audit.events SET prev_hash = $2 WHERE seq = $1`, [end + 1, before.hash]);
    expect(await verify(5000)).toMatchObject({
      checked: end - 1,
      broken: { seq: end, event_id: forged.event_id, problem: 'inserted' },
    });
    await tamper(`UPDATE audit.events SET data = $2 WHERE seq = $1`, [
      end,
      JSON.stringify(forged.data),
    ]);
    await tamper(`UPDATE audit.events SET prev_hash = $2 WHERE seq = $1`, [
      end + 1,
      after.prev_hash,
    ]);
    expect((await verify(5000)).broken).toBeNull();
  });

  it('refuses a segment request out of bounds with a coded error', async () => {
    await expect(
      h.bus.request(RequestSubjects.AuditVerify, { after: null, limit: 5001 }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });
});
