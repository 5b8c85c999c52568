import type { MigrationInterface, QueryRunner } from 'typeorm';
import { EXECUTOR_SCHEMA } from '../executor.schema.js';

/** Who submitted each version: what its loaded slots are charged to (ADR 0021). */
export class ExecutorVersionPublisher1767400000000 implements MigrationInterface {
  name = 'ExecutorVersionPublisher1767400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${EXECUTOR_SCHEMA}.plugin_versions ADD COLUMN publisher text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${EXECUTOR_SCHEMA}.plugin_versions DROP COLUMN publisher`);
  }
}
