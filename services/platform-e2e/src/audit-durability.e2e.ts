import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import pg from 'pg';
import { EventSubjects } from '@convergio/contracts';
import { natsEventSubject } from '@convergio/messaging';
import {
  connectTestNats,
  expectEventually,
  startPlatform,
  type PlatformInfo,
} from '@convergio/testing';
import { api, bearer, createKey, uniqueId } from './support/fixtures.js';

const EVENTS = 10_000;
/** Publishes in flight at once while the audit service is down. */
const PUBLISH_WINDOW = 500;

interface AuditPage {
  events: { seq: number; event_id: string; plugin_id: string | null }[];
  next_cursor: string | null;
}

/**
 * The audit log loses nothing while its service is down, records each event once, and names
 * what a superuser changed behind its back (issue 11, section 5: audit durability).
 */
describe('audit durability on real NATS and PostgreSQL', () => {
  let platform: Awaited<ReturnType<typeof startPlatform>>;
  let info: PlatformInfo;
  let auditor: string;
  let invoker: string;
  let db: pg.Client;
  const pluginId = uniqueId('audited');

  beforeAll(async () => {
    platform = await startPlatform();
    info = platform.info;
    process.env.CONVERGIO_E2E_PLATFORM = JSON.stringify(info);
    [auditor, invoker] = await Promise.all([createKey('auditor'), createKey('invoker')]);
    // The database's superuser, as an operator (or an intruder) with database access would be.
    db = new pg.Client({ connectionString: info.databaseUrl });
    await db.connect();
  }, 120_000);
  afterAll(async () => {
    await db?.end();
    await platform?.stop();
  });

  const verify = async () =>
    (await api().get('/v1/audit/verify').set(bearer(auditor)).expect(200)).body as {
      ok: boolean;
      records_checked: number;
      first_broken: { seq: number; event_id: string; problem: string } | null;
      head: { seq: number; hash: string } | null;
    };
  /** Every event of the test plugin, a page of 500 at a time. */
  async function allEvents(): Promise<AuditPage['events']> {
    const events: AuditPage['events'] = [];
    let cursor: string | null = null;
    do {
      const page = (
        await api()
          .get('/v1/audit')
          .query({ plugin_id: pluginId, limit: 500, ...(cursor ? { cursor } : {}) })
          .set(bearer(auditor))
          .expect(200)
      ).body as AuditPage;
      events.push(...page.events);
      cursor = page.next_cursor;
    } while (cursor);
    return events;
  }
  /** As a superuser: the append-only triggers disabled for one transaction. */
  async function tamper(sql: string, parameters: unknown[] = []): Promise<void> {
    await db.query('BEGIN');
    try {
      await db.query('ALTER TABLE audit.events DISABLE TRIGGER USER');
      await db.query(sql, parameters);
      await db.query('ALTER TABLE audit.events ENABLE TRIGGER USER');
      await db.query('COMMIT');
    } catch (error) {
      await db.query('ROLLBACK');
      throw error;
    }
  }
  const rowAt = async (seq: number) =>
    (await db.query('SELECT * FROM audit.events WHERE seq = $1', [seq])).rows[0] as Record<
      string,
      unknown
    >;

  it('stores 10,000 events published while the audit service was stopped, each once, on an intact chain', async () => {
    await platform.kill('audit');
    const nc = await connectTestNats();
    const ids: string[] = [];
    try {
      const js = jetstream(nc);
      const publish = (id: string, msgID = id) =>
        js.publish(
          natsEventSubject(info.busPrefix, EventSubjects.PermissionDenied, 'executor'),
          JSON.stringify({
            id,
            type: EventSubjects.PermissionDenied,
            version: 1,
            occurred_at: new Date().toISOString(),
            source: 'executor',
            correlation_id: randomUUID(),
            data: {
              plugin_id: pluginId,
              version: '1.0.0',
              capability: 'fs.read',
              target: `/etc/secret-${id}`,
              reason: 'outside allowlist',
            },
          }),
          { msgID },
        );
      for (let start = 0; start < EVENTS; start += PUBLISH_WINDOW) {
        const window = Array.from({ length: PUBLISH_WINDOW }, () => randomUUID());
        ids.push(...window);
        await Promise.all(window.map((id) => publish(id)));
      }
      // The same event again under another message id, as a producer retrying after a lost ack
      // would send it: the stream keeps both, the log records one.
      await publish(ids[42], randomUUID());
    } finally {
      await nc.close();
    }
    await platform.restart('audit');
    const events = await expectEventually(
      async () => {
        const found = await allEvents();
        expect(found).toHaveLength(EVENTS);
        return found;
      },
      { timeoutMs: 180_000, intervalMs: 2000 },
    );
    expect(new Set(events.map((e) => e.event_id))).toEqual(new Set(ids));
    const verdict = await verify();
    expect(verdict).toMatchObject({ ok: true, first_broken: null });
    expect(verdict.records_checked).toBeGreaterThanOrEqual(EVENTS);
  }, 300_000);

  it('refuses UPDATE, DELETE and TRUNCATE even to the superuser while the triggers are on', async () => {
    for (const sql of [
      `UPDATE audit.events SET source = 'forged'`,
      `DELETE FROM audit.events`,
      `TRUNCATE audit.events`,
    ])
      await expect(db.query(sql)).rejects.toMatchObject({
        code: '23001',
        message: expect.stringMatching(
          /^audit\.events is append-only: (UPDATE|DELETE|TRUNCATE) refused$/,
        ),
      });
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('names a row a superuser changed, removed or inserted, through GET /v1/audit/verify', async () => {
    const { head } = await verify();
    const target = Math.floor(head!.seq / 2);
    const original = await rowAt(target);

    await tamper(
      `UPDATE audit.events SET data = jsonb_set(data, '{target}', '"/tmp/harmless"') WHERE seq = $1`,
      [target],
    );
    expect(await verify()).toMatchObject({
      ok: false,
      records_checked: target - 1,
      first_broken: { seq: target, event_id: original.event_id, problem: 'changed' },
    });
    await tamper('UPDATE audit.events SET data = $2 WHERE seq = $1', [
      target,
      JSON.stringify(original.data),
    ]);
    expect(await verify()).toMatchObject({ ok: true });

    await tamper('DELETE FROM audit.events WHERE seq = $1', [target]);
    const next = await rowAt(target + 1);
    expect(await verify()).toMatchObject({
      ok: false,
      first_broken: { seq: target + 1, event_id: next.event_id, problem: 'removed' },
    });
    await tamper(
      'INSERT INTO audit.events SELECT * FROM jsonb_populate_record(NULL::audit.events, $1)',
      [JSON.stringify(original)],
    );
    expect(await verify()).toMatchObject({ ok: true });

    const forged = randomUUID();
    await tamper(
      `INSERT INTO audit.events (seq, event_id, type, source, plugin_id, version, correlation_id, occurred_at, recorded_at, data, prev_hash, hash)
       SELECT $2, $3, type, source, plugin_id, version, correlation_id, occurred_at, recorded_at, data, prev_hash, hash
       FROM audit.events WHERE seq = $1`,
      [target, head!.seq + 1, forged],
    );
    expect(await verify()).toMatchObject({
      ok: false,
      first_broken: { seq: head!.seq + 1, event_id: forged, problem: 'inserted' },
    });
    await tamper('DELETE FROM audit.events WHERE event_id = $1', [forged]);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('exports the filtered log as NDJSON, the same events as the query', async () => {
    const res = await api()
      .get('/v1/audit/export')
      .query({ plugin_id: pluginId })
      .set(bearer(auditor))
      .buffer(true)
      .parse((stream, done) => {
        let text = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => (text += chunk));
        stream.on('end', () => done(null, text));
      })
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = (res.body as string).split('\n');
    expect(lines.pop()).toBe('');
    const exported = lines.map((l) => JSON.parse(l) as { event_id: string; plugin_id: string });
    expect(exported).toHaveLength(EVENTS);
    expect(exported.every((e) => e.plugin_id === pluginId)).toBe(true);
  }, 120_000);

  it('answers bad filters with coded errors and other roles with 403, while auditors are served', async () => {
    for (const [path, query] of [
      ['/v1/audit', { cursor: 'bm90LWEtY3Vyc29y' }],
      ['/v1/audit', { from: '2026-11-30T04:00:00Z', to: '2026-11-30T01:00:00Z' }],
      ['/v1/audit/export', { from: 'yesterday' }],
      ['/v1/audit/export', { cursor: 'bm90LWEtY3Vyc29y' }],
      ['/v1/audit/export', { limit: 5 }],
    ] as const) {
      const res = await api().get(path).query(query).set(bearer(auditor)).expect(400);
      expect(res.body).toMatchObject({ error: { code: 'validation_failed' } });
    }
    for (const path of ['/v1/audit', '/v1/audit/export', '/v1/audit/verify'])
      expect((await api().get(path).set(bearer(invoker)).expect(403)).body).toMatchObject({
        error: { code: 'forbidden' },
      });
    expect(await verify()).toMatchObject({ ok: true });
  });
});
