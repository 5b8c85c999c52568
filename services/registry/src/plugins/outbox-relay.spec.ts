import { randomUUID } from 'node:crypto';
import { EventSubjects } from '@convergio/contracts';
import { DEFAULT_OUTBOX_SETTINGS, OUTBOX_DEAD_LETTERS_METRIC } from '@convergio/messaging';
import { initTelemetry } from '@convergio/observability';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { expectEventually } from '@convergio/testing';
import { registryPersistence, RegistryModule, REGISTRY_SCHEMA } from '../index.js';

// The registry's outbox relay, as wired in the service: an event its commit never published (the
// process died) is published by the relay of the running service, once; one it can never publish
// is set aside after its last attempt and counted at /metrics.
describe('registry outbox relay', () => {
  let h: ServiceHarness;

  beforeAll(async () => {
    initTelemetry('registry'); // as the service's bootstrap does, before the app (the /metrics exporter)
    h = await startServiceHarness({ ...registryPersistence, feature: RegistryModule });
  });
  afterAll(() => h?.close());

  /** A row its commit did not publish, as the relay finds it; `attempts` failed ones before. */
  async function leftover(envelope: string, id = randomUUID(), attempts = 0): Promise<string> {
    await h.dataSource.query(
      `INSERT INTO ${REGISTRY_SCHEMA}.outbox (event_id, subject, envelope, created_at, attempts)
       VALUES ($1, $2, $3, now() - interval '1 minute', $4)`,
      [id, EventSubjects.PluginRevoked, envelope, attempts],
    );
    return id;
  }
  const revocation = (id: string, plugin: string) =>
    JSON.stringify({
      id,
      type: EventSubjects.PluginRevoked,
      version: 1,
      occurred_at: new Date().toISOString(),
      source: 'registry',
      correlation_id: id,
      data: { plugin_id: plugin, version: '1.0.0', revoked_by: 'admin-key' },
    });

  /** The registry's `convergio_outbox_dead_letters` as /metrics would serve it now. */
  async function deadLettersMetric(): Promise<number | undefined> {
    const { resourceMetrics } = await initTelemetry('registry').collect();
    const metric = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === OUTBOX_DEAD_LETTERS_METRIC);
    const points = (metric?.dataPoints ?? []) as { attributes: object; value: unknown }[];
    return points.find((p) => 'schema' in p.attributes && p.attributes.schema === REGISTRY_SCHEMA)
      ?.value as number | undefined;
  }

  it('publishes an event left unsent by a crash, and marks it sent', async () => {
    const id = randomUUID();
    await leftover(revocation(id, 'acme.left'), id);
    const published = await h.waitFor(EventSubjects.PluginRevoked, (e) => e.id === id);
    expect(published.data).toMatchObject({ plugin_id: 'acme.left' });
    // Marked right after the publish, which the in-process bus delivers at once: wait for it.
    await expectEventually(() =>
      expect(
        h.dataSource.query(`SELECT sent_at FROM ${REGISTRY_SCHEMA}.outbox WHERE event_id = $1`, [
          id,
        ]),
      ).resolves.toEqual([{ sent_at: expect.any(Date) }]),
    );
    expect(h.events.filter((e) => e.id === id)).toHaveLength(1);
  });

  it('sets aside a row at its last attempt, counts it at /metrics and publishes the next', async () => {
    expect(await deadLettersMetric()).toBe(0);
    const poison = await leftover(
      'not json',
      randomUUID(),
      DEFAULT_OUTBOX_SETTINGS.maxAttempts - 1,
    );
    const nextId = randomUUID();
    await leftover(revocation(nextId, 'acme.after'), nextId);

    await h.waitFor(EventSubjects.PluginRevoked, (e) => e.id === nextId);
    await expectEventually(async () => expect(await deadLettersMetric()).toBe(1));
    await expect(
      h.dataSource.query(
        `SELECT attempts, sent_at, dead_lettered_at FROM ${REGISTRY_SCHEMA}.outbox WHERE event_id = $1`,
        [poison],
      ),
    ).resolves.toEqual([
      {
        attempts: DEFAULT_OUTBOX_SETTINGS.maxAttempts,
        sent_at: null,
        dead_lettered_at: expect.any(Date),
      },
    ]);
  });
});
