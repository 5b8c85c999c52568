import { randomUUID } from 'node:crypto';
import {
  ALL_EVENT_SUBJECTS,
  EventSubjects,
  RequestSubjects,
  type EventEnvelope,
} from '@convergio/contracts';
import { BusServer } from '@convergio/messaging';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { auditPersistence, AuditModule } from '../index.js';

const denied = (pluginId: string, occurredAt = new Date().toISOString()): EventEnvelope => ({
  id: randomUUID(),
  type: EventSubjects.PermissionDenied,
  version: 1,
  occurred_at: occurredAt,
  source: 'executor',
  correlation_id: randomUUID(),
  data: {
    plugin_id: pluginId,
    version: '1.0.0',
    capability: 'fs.read',
    target: '/etc/shadow',
    reason: 'outside allowlist',
  },
});

describe('audit ingest', () => {
  let h: ServiceHarness;
  let server: BusServer;

  beforeAll(async () => {
    h = await startServiceHarness({ ...auditPersistence, feature: AuditModule });
    server = h.app.get(BusServer);
  });
  afterAll(() => h?.close());

  const stored = (pluginId: string) =>
    h.dataSource.query<{ seq: number; event_id: string; data: Record<string, unknown> }[]>(
      `SELECT seq::int AS seq, event_id::text AS event_id, data FROM audit.events WHERE plugin_id = $1 ORDER BY seq`,
      [pluginId],
    );
  const verify = () => h.bus.request(RequestSubjects.AuditVerify, { after: null, limit: 5000 });

  it('records every event subject of the contracts, present and future, with one handler', () => {
    const handlers = server.getHandlers();
    for (const subject of ALL_EVENT_SUBJECTS)
      expect([subject, handlers.get(subject)?.isEventHandler]).toEqual([subject, true]);
  });

  it('appends events handed in together in one transaction, each once, on one unbroken chain', async () => {
    const events = Array.from({ length: 300 }, () => denied('a.batch'));
    // The same event twice in one batch, and again once stored: recorded once.
    const outcomes = await Promise.all(
      [...events, events[7]].map((e) => server.dispatchEvent(e.type, structuredClone(e))),
    );
    expect(outcomes.every((o) => o.kind === 'done')).toBe(true);
    expect(await server.dispatchEvent(events[0].type, structuredClone(events[0]))).toEqual({
      kind: 'done',
    });
    const rows = await stored('a.batch');
    expect(rows.map((r) => r.event_id).sort()).toEqual(events.map((e) => e.id).sort());
    // One transaction takes consecutive seqs.
    expect(rows[rows.length - 1].seq - rows[0].seq).toBe(rows.length - 1);
    expect(await verify()).toMatchObject({ first_broken: null, done: true });
  });

  it('keeps the others of a batch when the database refuses one, that one as unstorable', async () => {
    const good = Array.from({ length: 5 }, () => denied('a.mixed'));
    // PostgreSQL has no year 0: a data exception however often it is retried.
    const refused = denied('a.mixed', '0000-01-01T00:00:00Z');
    const outcomes = await Promise.all(
      [...good.slice(0, 2), refused, ...good.slice(2)].map((e) => server.dispatchEvent(e.type, e)),
    );
    expect(outcomes.every((o) => o.kind === 'done')).toBe(true);
    const rows = await stored('a.mixed');
    expect(rows).toHaveLength(6);
    const unstorable = rows.filter((r) => 'unstorable' in r.data);
    expect(unstorable.map((r) => r.event_id)).toEqual([refused.id]);
    expect(unstorable[0].data.unstorable).toMatchObject({ occurred_at: '0000-01-01T00:00:00Z' });
    expect(await verify()).toMatchObject({ first_broken: null, done: true });
  });

  it('lets the bus deliver a batch again when its transaction fails', async () => {
    const event = denied('a.retry');
    // The audit role's own refusal stands in for a database outage: nothing is written.
    await h.dataSource.query(`REVOKE INSERT ON audit.events FROM convergio_audit_writer`);
    try {
      expect(await server.dispatchEvent(event.type, structuredClone(event))).toMatchObject({
        kind: 'retry',
      });
    } finally {
      await h.dataSource.query(`GRANT INSERT ON audit.events TO convergio_audit_writer`);
    }
    expect(await stored('a.retry')).toHaveLength(0);
    expect(await server.dispatchEvent(event.type, structuredClone(event))).toEqual({
      kind: 'done',
    });
    expect(await stored('a.retry')).toHaveLength(1);
  });
});
