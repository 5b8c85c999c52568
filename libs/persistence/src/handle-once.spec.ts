import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@convergio/testing';
import { DataSource, type EntityManager } from 'typeorm';
import { createDataSourceOptions } from './data-source-options.js';
import { handleOnce } from './handle-once.js';
import { runMigrations } from './run-migrations.js';
import { serviceSchemaFixture } from './service-schema.fixture.js';

describe('handleOnce (PostgreSQL)', () => {
  const service = serviceSchemaFixture('verification');
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(
      createDataSourceOptions({ url: database.url, schema: 'verification', ...service }),
    ).initialize();
    await runMigrations(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const insertWidget = (label: string) => (manager: EntityManager) =>
    manager.getRepository(service.widgets).save({ id: randomUUID(), label });

  const widgetCount = (label: string) =>
    dataSource.getRepository(service.widgets).countBy({ label });

  const markerCount = (consumer: string, eventId: string) =>
    dataSource.getRepository(service.processedEvents).countBy({ consumer, eventId });

  it('runs the work once for a redelivered event and reports the duplicate', async () => {
    const eventId = randomUUID();

    const first = await handleOnce(
      dataSource,
      service.processedEvents,
      'checker',
      eventId,
      insertWidget('once'),
    );
    const again = await handleOnce(
      dataSource,
      service.processedEvents,
      'checker',
      eventId,
      insertWidget('once'),
    );

    expect(first).toMatchObject({ duplicate: false, result: { label: 'once' } });
    expect(again).toEqual({ duplicate: true });
    expect(await widgetCount('once')).toBe(1);
  });

  it('runs the work once when the same event arrives concurrently', async () => {
    const eventId = randomUUID();

    const outcomes = await Promise.all(
      [1, 2, 3, 4].map(() =>
        handleOnce(dataSource, service.processedEvents, 'checker', eventId, insertWidget('race')),
      ),
    );

    expect(outcomes.filter((o) => !o.duplicate)).toHaveLength(1);
    expect(await widgetCount('race')).toBe(1);
  });

  it('tracks each consumer separately for the same event', async () => {
    const eventId = randomUUID();

    await handleOnce(
      dataSource,
      service.processedEvents,
      'checker',
      eventId,
      insertWidget('per-consumer'),
    );
    await handleOnce(
      dataSource,
      service.processedEvents,
      'auditor',
      eventId,
      insertWidget('per-consumer'),
    );

    expect(await widgetCount('per-consumer')).toBe(2);
  });

  it('commits nothing when the work fails, so a retry does the work', async () => {
    const eventId = randomUUID();
    const failing = async (manager: EntityManager) => {
      await insertWidget('rolled-back')(manager);
      throw new Error('downstream unavailable');
    };

    await expect(
      handleOnce(dataSource, service.processedEvents, 'checker', eventId, failing),
    ).rejects.toThrow('downstream unavailable');
    expect(await widgetCount('rolled-back')).toBe(0);
    expect(await markerCount('checker', eventId)).toBe(0);

    const retry = await handleOnce(
      dataSource,
      service.processedEvents,
      'checker',
      eventId,
      insertWidget('rolled-back'),
    );
    expect(retry.duplicate).toBe(false);
    expect(await widgetCount('rolled-back')).toBe(1);
    expect(await markerCount('checker', eventId)).toBe(1);
  });
});
