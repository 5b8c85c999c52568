import { randomUUID } from 'node:crypto';
import { EventSubjects } from '@convergio/contracts';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { registryPersistence, RegistryModule, REGISTRY_SCHEMA } from '../index.js';

// The registry's outbox relay, as wired in the service: an event its commit never published (the
// process died) is published by the relay of the running service, once.
describe('registry outbox relay', () => {
  let h: ServiceHarness;

  beforeAll(async () => {
    h = await startServiceHarness({ ...registryPersistence, feature: RegistryModule });
  });
  afterAll(() => h?.close());

  it('publishes an event left unsent by a crash, and marks it sent', async () => {
    const id = randomUUID();
    const envelope = {
      id,
      type: EventSubjects.PluginRevoked,
      version: 1,
      occurred_at: new Date().toISOString(),
      source: 'registry',
      correlation_id: id,
      data: { plugin_id: 'acme.left', version: '1.0.0', revoked_by: 'admin-key' },
    };
    await h.dataSource.query(
      `INSERT INTO ${REGISTRY_SCHEMA}.outbox (event_id, subject, envelope, created_at)
       VALUES ($1, $2, $3, now() - interval '1 minute')`,
      [id, envelope.type, JSON.stringify(envelope)],
    );
    const published = await h.waitFor(EventSubjects.PluginRevoked, (e) => e.id === id);
    expect(published.data).toEqual(envelope.data);
    await expect(
      h.dataSource.query(`SELECT sent_at FROM ${REGISTRY_SCHEMA}.outbox WHERE event_id = $1`, [id]),
    ).resolves.toEqual([{ sent_at: expect.any(Date) }]);
    expect(h.events.filter((e) => e.id === id)).toHaveLength(1);
  });
});
