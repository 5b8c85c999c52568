// Audit ingest: events published to JetStream, consumed by the audit service's module (batched
// consumer, multi-row INSERT, hash chain, audit role) into real PostgreSQL, against plain
// single-row INSERTs of the same rows (what the log did before batching) in the same run.
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { jetstream } from '@nats-io/jetstream';
import pg from 'pg';
import { AUDIT_MIGRATION_STEP } from '../services/audit/dist/audit.schema.js';
import { auditPersistence, AuditModule } from '../services/audit/dist/index.js';
import { connectBus, connectNatsBus, natsEventSubject } from '../libs/messaging/dist/index.js';
import { ServiceRootModule } from '../libs/runtime/dist/index.js';
import {
  applyServiceLogins,
  createTestDatabase,
  deleteTestStream,
  expectEventually,
  TEST_NATS_URL,
} from '../libs/testing/dist/index.js';
import { median } from './lib/stats.mjs';
import { record } from './lib/results.mjs';

const EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_AUDIT_ROUNDS ?? 3);
/** The audit service's default AUDIT_INGEST_BATCH. */
const BATCH = Number(process.env.BENCH_AUDIT_BATCH ?? 256);
const PUBLISH_WINDOW = 500;

const envelopeOf = (n) => ({
  id: randomUUID(),
  type: 'permission.denied',
  version: 1,
  occurred_at: new Date().toISOString(),
  source: 'executor',
  correlation_id: randomUUID(),
  data: {
    plugin_id: 'bench.audit',
    version: '1.0.0',
    capability: 'fs.read',
    target: `/etc/file-${n}`,
    reason: 'outside allowlist',
  },
});

const count = async (client, table) =>
  Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

/** Events per second from a backlog of `envelopes` in JetStream to committed audit records. */
async function ingest(envelopes) {
  const db = await createTestDatabase('bench_audit');
  // The production shape: the schema migrated by its owner, the service on its own login.
  const databaseEnv = await applyServiceLogins(db);
  const prefix = `bench_${randomBytes(4).toString('hex')}`;
  const nc = await connectNatsBus({ url: TEST_NATS_URL, service: 'bench-driver', prefix });
  const client = new pg.Client({ connectionString: db.url });
  let app;
  try {
    const js = jetstream(nc);
    for (let i = 0; i < envelopes.length; i += PUBLISH_WINDOW)
      await Promise.all(
        envelopes.slice(i, i + PUBLISH_WINDOW).map((e) =>
          js.publish(natsEventSubject(prefix, e.type, e.source), JSON.stringify(e), {
            msgID: e.id,
          }),
        ),
      );
    // The distributed audit service's module tree, as its main.ts builds it in production.
    app = await NestFactory.create(
      ServiceRootModule.forRoot({
        service: 'audit',
        env: { NATS_URL: TEST_NATS_URL, BUS_PREFIX: prefix, ...databaseEnv('audit') },
        feature: AuditModule.register({ maxBatch: BATCH }),
        persistence: { ...auditPersistence, migrationStep: AUDIT_MIGRATION_STEP },
        eventBatch: 2 * BATCH,
      }),
      new FastifyAdapter(),
      { logger: ['error'] },
    );
    await app.init();
    await client.connect();
    const start = process.hrtime.bigint();
    await connectBus(app);
    await expectEventually(
      async () => {
        if ((await count(client, 'audit.events')) < envelopes.length) throw new Error('not yet');
      },
      { timeoutMs: 600_000, intervalMs: 20 },
    );
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if ((await count(client, 'audit.events')) !== envelopes.length)
      throw new Error('the audit log does not hold each event once');
    return envelopes.length / seconds;
  } finally {
    await app?.close();
    await client.end().catch(() => undefined);
    await nc.close();
    await deleteTestStream(`${prefix}_EVENTS`);
    await db.drop();
  }
}

/** Events per second for one INSERT per event, one after the other, into the same columns. */
async function plainInserts(envelopes) {
  const db = await createTestDatabase('bench_plain');
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(`CREATE TABLE events (seq bigserial PRIMARY KEY, event_id uuid NOT NULL UNIQUE,
      type text NOT NULL, source text NOT NULL, plugin_id text, version text,
      correlation_id text NOT NULL, occurred_at timestamptz NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(), data jsonb NOT NULL)`);
    const start = process.hrtime.bigint();
    for (const e of envelopes)
      await client.query(
        `INSERT INTO events (event_id, type, source, plugin_id, version, correlation_id, occurred_at, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_id) DO NOTHING`,
        [
          e.id,
          e.type,
          e.source,
          e.data.plugin_id,
          e.data.version,
          e.correlation_id,
          e.occurred_at,
          JSON.stringify(e.data),
        ],
      );
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if ((await count(client, 'events')) !== envelopes.length) throw new Error('rows missing');
    return envelopes.length / seconds;
  } finally {
    await client.end();
    await db.drop();
  }
}

export async function run() {
  const ingested = [];
  const plain = [];
  // Alternating rounds, so that load on the shared machine hits both alike.
  for (let round = 0; round < ROUNDS; round++) {
    const envelopes = Array.from({ length: EVENTS }, (_, n) => envelopeOf(n));
    ingested.push(await ingest(envelopes));
    plain.push(await plainInserts(envelopes));
  }
  const ingestRate = median(ingested.sort((a, b) => a - b));
  const plainRate = median(plain.sort((a, b) => a - b));
  record('audit_ingest_events_per_s', ingestRate, 'events/s');
  record('audit_plain_insert_events_per_s', plainRate, 'events/s');
  record('audit_ingest_vs_plain_ratio', ingestRate / plainRate, 'x');
}
