import { EntitySchema, type MigrationInterface, type QueryRunner } from 'typeorm';
import type { EntityDefinition, MigrationDefinition } from './data-source-options.js';
import { processedEventEntity } from './processed-event.entity.js';
import {
  createProcessedEventsTableSql,
  dropProcessedEventsTableSql,
} from './processed-events.sql.js';

/** A row of the fixture service's own table. */
export interface Widget {
  id: string;
  label: string;
}

/** The entities and migrations a fake service owning `schema` would contribute to a DataSource. */
export function serviceSchemaFixture(schema: string) {
  const widgets = new EntitySchema<Widget>({
    name: `Widget_${schema}`,
    schema,
    tableName: 'widgets',
    columns: { id: { type: 'uuid', primary: true }, label: { type: 'text' } },
  });

  class CreateWidgets implements MigrationInterface {
    name = `${schema}CreateWidgets1700000000000`;

    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await queryRunner.query(
        `CREATE TABLE "${schema}".widgets (id uuid PRIMARY KEY, label text NOT NULL)`,
      );
      await queryRunner.query(createProcessedEventsTableSql(schema));
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(dropProcessedEventsTableSql(schema));
      await queryRunner.query(`DROP TABLE "${schema}".widgets`);
    }
  }

  const processedEvents = processedEventEntity(schema);
  return {
    widgets,
    processedEvents,
    entities: [widgets, processedEvents] as EntityDefinition[],
    migrations: [CreateWidgets] as MigrationDefinition[],
  };
}
