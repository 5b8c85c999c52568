import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Injectable, Module } from '@nestjs/common';
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
});
