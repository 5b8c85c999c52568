import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Injectable, Module, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { createTestDatabase, type TestDatabase } from '@convergio/testing';
import { DataSource, type Repository } from 'typeorm';
import { isDatabaseReady } from './database-readiness.js';
import { PersistenceModule } from './persistence.module.js';
import { serviceSchemaFixture, type Widget } from './service-schema.fixture.js';

const approval = serviceSchemaFixture('approval');

@Injectable()
class WidgetService {
  constructor(@InjectRepository(approval.widgets) private readonly widgets: Repository<Widget>) {}

  create(label: string): Promise<Widget> {
    return this.widgets.save({ id: randomUUID(), label });
  }
}

describe('PersistenceModule (PostgreSQL)', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('connects and migrates at boot, then serves repositories to services', async () => {
    @Module({
      imports: [
        PersistenceModule.forRootAsync({
          useFactory: () => ({ url: database.url, schema: 'approval', ...approval }),
        }),
        TypeOrmModule.forFeature([approval.widgets]),
      ],
      providers: [WidgetService],
    })
    class AppModule {}

    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    const dataSource = app.get(DataSource);
    try {
      await expect(app.get(WidgetService).create('from nest')).resolves.toMatchObject({
        label: 'from nest',
      });
      expect(await dataSource.showMigrations()).toBe(false);
      expect(await isDatabaseReady(dataSource)).toBe(true);
    } finally {
      await app.close();
    }
    expect(dataSource.isInitialized).toBe(false);
  });

  it('logs each retry at boot as one line saying what to do, without a stack, and gives up with the reason', async () => {
    const lines: { level: string; message: unknown; params: unknown[] }[] = [];
    const record =
      (level: string) =>
      (message: unknown, ...params: unknown[]) =>
        void lines.push({ level, message, params });
    const logger: LoggerService = {
      log: record('log'),
      error: record('error'),
      warn: record('warn'),
      debug: record('debug'),
      verbose: record('verbose'),
    };
    @Module({
      imports: [
        PersistenceModule.forRoot({
          url: database.url,
          schema: 'audit_unmigrated',
          ...approval,
          migrationStep: 'run the migration step first',
          retryAttempts: 3,
          retryDelayMs: 10,
        }),
      ],
    })
    class UnmigratedModule {}

    await expect(
      NestFactory.createApplicationContext(UnmigratedModule, { logger, abortOnError: false }),
    ).rejects.toThrow(/the schema audit_unmigrated is not migrated.*run the migration step first/);
    const retries = lines.filter((l) => String(l.message).includes('the database is not ready'));
    expect(retries.map((l) => l.level)).toEqual(['warn', 'warn']);
    for (const [i, { message, params }] of retries.entries()) {
      expect(message).toMatch(
        new RegExp(
          `^the database is not ready \\(attempt ${i + 1} of 3, next in 0\\.01 s\\): the schema audit_unmigrated is not migrated.*: run the migration step first$`,
        ),
      );
      expect(String(message)).not.toContain('\n');
      expect(params).toEqual(['PersistenceModule']);
    }
    // TypeOrmModule's own retry lines, each with a stack, are gone.
    expect(lines.filter((l) => l.params.includes('TypeOrmModule'))).toEqual([]);
  });
});
