// An event through the transactional outbox (written in the transaction, published right after
// the commit, then marked sent) against the same event published inside the transaction, as the
// registry and approval did before, on the real PostgreSQL and NATS, in the same run.
import { randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { BusClient, MessagingModule, TransactionalOutbox } from '../libs/messaging/dist/index.js';
import { createOutboxTableSql } from '../libs/persistence/dist/index.js';
import { createTestDatabase, deleteTestStream, TEST_NATS_URL } from '../libs/testing/dist/index.js';
import { compare } from './lib/stats.mjs';
import { record } from './lib/results.mjs';

const SCHEMA = 'bench';

export async function run() {
  const db = await createTestDatabase('bench_outbox');
  const prefix = `bench_${randomUUID().slice(0, 8)}`;
  const dataSource = await new DataSource({ type: 'postgres', url: db.url }).initialize();
  class Root {}
  Module({
    imports: [
      MessagingModule.forRoot({ kind: 'nats', url: TEST_NATS_URL, prefix, service: 'registry' }),
      MessagingModule.forService('registry'),
    ],
  })(Root);
  const app = await NestFactory.createApplicationContext(Root, { logger: false });
  try {
    await dataSource.query(`CREATE SCHEMA ${SCHEMA}`);
    await dataSource.query(`CREATE TABLE ${SCHEMA}.things (id bigserial PRIMARY KEY)`);
    for (const sql of createOutboxTableSql(SCHEMA)) await dataSource.query(sql);
    const bus = app.get(BusClient, { strict: false });
    const outbox = new TransactionalOutbox(dataSource, bus, SCHEMA);
    let n = 0;
    const event = () => ({ plugin_id: 'bench.outbox', version: `1.0.${n++}`, revoked_by: 'bench' });
    const change = (m) => m.query(`INSERT INTO ${SCHEMA}.things DEFAULT VALUES`);
    const viaOutbox = () =>
      dataSource.transaction(async (m) => {
        await change(m);
        await outbox.add(m, 'plugin.revoked', event());
      });
    const insideTransaction = () =>
      dataSource.transaction(async (m) => {
        await change(m);
        await bus.publish('plugin.revoked', event());
      });
    const { a, b } = await compare(viaOutbox, insideTransaction, {
      rounds: 5,
      warmup: 20,
      iterations: 200,
    });
    record('outbox_commit_publish_p50', a / 1000, 'ms');
    record('publish_in_transaction_p50', b / 1000, 'ms');
    record('outbox_vs_publish_in_transaction_ratio', a / b, 'x');
  } finally {
    await app.close();
    await dataSource.destroy();
    await deleteTestStream(`${prefix}_EVENTS`);
    await db.drop();
  }
}
