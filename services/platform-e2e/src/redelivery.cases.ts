import { jetstream } from '@nats-io/jetstream';
import pg from 'pg';
import type { EventSubject } from '@convergio/contracts';
import { natsEventSubject } from '@convergio/messaging';
import { connectTestNats, expectEventually } from '@convergio/testing';
import {
  api,
  auditTypes,
  bearer,
  createKey,
  greetManifest,
  submit,
  versionState,
} from './support/fixtures.js';
import { platform } from './support/platform.js';

interface AuditRow {
  event_id: string;
  type: string;
  source: string;
  correlation_id: string;
  occurred_at: string;
  data: Record<string, unknown>;
}

describe('a redelivered event', () => {
  it('is processed once by every service (same event id)', async () => {
    const [publisher, auditor] = await Promise.all([createKey('publisher'), createKey('auditor')]);
    const manifest = greetManifest();
    const id = manifest.id;
    await submit(publisher, manifest).expect(202);
    await expectEventually(async () =>
      expect(await auditTypes(auditor, id)).toEqual([
        'plugin.submitted',
        'plugin.verified',
        'plugin.approved',
        'plugin.loaded',
      ]),
    );

    const events = (
      await api()
        .get('/v1/audit')
        .query({ plugin_id: id, type: 'plugin.submitted' })
        .set(bearer(auditor))
        .expect(200)
    ).body.events as AuditRow[];
    const original = events[0];
    const envelope = {
      id: original.event_id,
      type: original.type,
      version: 1,
      occurred_at: original.occurred_at,
      source: original.source,
      correlation_id: original.correlation_id,
      data: original.data,
    };

    // Fresh message ids get past JetStream's de-duplication: this is what a redelivery looks like to a consumer.
    const nc = await connectTestNats();
    const js = jetstream(nc);
    for (let i = 0; i < 2; i++)
      await js.publish(
        natsEventSubject(platform().busPrefix, original.type as EventSubject, original.source),
        JSON.stringify(envelope),
        {
          msgID: `replay-${i}-${original.event_id}`,
        },
      );
    await nc.close();

    // Each consumer handles its messages in order: once a later submission has been through
    // the verification's and the executor's plugin.submitted consumers, so have the replays.
    const later = greetManifest();
    await submit(publisher, later).expect(202);
    const db = new pg.Client({ connectionString: platform().databaseUrl });
    await db.connect();
    await expectEventually(
      async () => {
        const seen = await db.query(
          `SELECT 1 FROM verification.verifications WHERE plugin_id = $1 UNION ALL SELECT 1 FROM executor.plugin_versions WHERE plugin_id = $1`,
          [later.id],
        );
        expect(seen.rowCount).toBe(2);
      },
      { timeoutMs: 30_000 },
    );

    expect(await auditTypes(auditor, id)).toEqual([
      'plugin.submitted',
      'plugin.verified',
      'plugin.approved',
      'plugin.loaded',
    ]);
    expect(await versionState(publisher, id)).toMatchObject({ status: 'approved', loaded: true });
    const marks = await db.query(
      `SELECT consumer FROM verification.processed_events WHERE event_id = $1 UNION ALL SELECT consumer FROM executor.processed_events WHERE event_id = $1`,
      [original.event_id],
    );
    await db.end();
    expect(marks.rows.map((r: { consumer: string }) => r.consumer).sort()).toEqual([
      'executor',
      'verification',
    ]);
  });
});
