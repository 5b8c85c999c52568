import type { MigrationInterface, QueryRunner } from 'typeorm';
import { EXECUTOR_SCHEMA } from '../executor.schema.js';

/** The table of the executor's version records takes the name of what it holds (formerly deployments). */
export class ExecutorPluginVersions1764800000000 implements MigrationInterface {
  name = 'ExecutorPluginVersions1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await this.rename(q, 'deployments', 'plugin_versions');
  }

  async down(q: QueryRunner): Promise<void> {
    await this.rename(q, 'plugin_versions', 'deployments');
  }

  // The primary key's index follows its constraint's name.
  private async rename(q: QueryRunner, from: string, to: string): Promise<void> {
    await q.query(`ALTER TABLE ${EXECUTOR_SCHEMA}.${from} RENAME TO ${to}`);
    await q.query(
      `ALTER TABLE ${EXECUTOR_SCHEMA}.${to} RENAME CONSTRAINT ${from}_pkey TO ${to}_pkey`,
    );
    await q.query(`ALTER INDEX ${EXECUTOR_SCHEMA}.${from}_status_idx RENAME TO ${to}_status_idx`);
  }
}
