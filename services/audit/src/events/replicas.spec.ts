import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EventSubjects, type EventEnvelope } from '@convergio/contracts';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { ChainVerifyService } from '../chain/chain-verify.service.js';
import { auditPersistence, AuditModule } from '../index.js';
import { AuditWriter } from './audit-writer.js';

const loaded = (): EventEnvelope => ({
  id: randomUUID(),
  type: EventSubjects.PluginLoaded,
  version: 1,
  occurred_at: new Date().toISOString(),
  source: 'executor',
  correlation_id: randomUUID(),
  data: {
    plugin_id: 'a.replicas',
    version: '1.0.0',
    module_sha256: 'a'.repeat(64),
    instance: 'x',
    load_ms: 1,
    cached: false,
  },
});

/** Two audit replicas on one database, as two processes would be: their own pools and writers. */
describe('audit replicas appending at once', () => {
  let h: ServiceHarness;
  let other: DataSource;

  beforeAll(async () => {
    h = await startServiceHarness({ ...auditPersistence, feature: AuditModule });
    other = await new DataSource(h.dataSource.options).initialize();
  });
  afterAll(async () => {
    await other?.destroy();
    await h?.close();
  });

  it('keep one unbroken chain with each event once, the same events handed to both', async () => {
    const writers = [h.app.get(AuditWriter), new AuditWriter(other, { maxBatch: 37 })];
    const events = Array.from({ length: 600 }, loaded);
    // Each replica gets every other event, and a redelivery of a third of the other's.
    await Promise.all(
      events.flatMap((e, i) => [
        writers[i % 2].append(structuredClone(e)),
        ...(i % 3 === 0 ? [writers[(i + 1) % 2].append(structuredClone(e))] : []),
      ]),
    );
    const rows = await h.dataSource.query<{ event_id: string }[]>(
      `SELECT event_id::text AS event_id FROM audit.events WHERE plugin_id = 'a.replicas'`,
    );
    expect(rows.map((r) => r.event_id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(
      await new ChainVerifyService(h.dataSource).verifySegment({ after: null, limit: 5000 }),
    ).toMatchObject({ records_checked: 600, first_broken: null, done: true });
  });
});
