import type { MigrationInterface, QueryRunner } from 'typeorm';
import { EXECUTOR_SCHEMA } from '../executor.schema.js';

/** The operator policy verdict of each version, so a change of verdict is announced once. */
export class ExecutorPolicyViolations1764500000000 implements MigrationInterface {
  name = 'ExecutorPolicyViolations1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE ${EXECUTOR_SCHEMA}.deployments ADD COLUMN policy_violations jsonb NOT NULL DEFAULT '[]'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${EXECUTOR_SCHEMA}.deployments DROP COLUMN policy_violations`);
  }
}
