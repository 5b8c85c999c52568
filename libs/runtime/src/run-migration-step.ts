import { Type } from '@sinclair/typebox';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '@convergio/config';
import { createDataSourceOptions, runMigrations } from '@convergio/persistence';
import { DistributedEnv } from './base-config.js';
import type { ServicePersistence } from './service-root.module.js';

const MigrationStepConfig = Type.Object({ DATABASE_URL: DistributedEnv.DATABASE_URL });

/**
 * The deploy step of a service whose own login may not alter its schema (the audit service):
 * applies its pending migrations as the schema's owner (DATABASE_URL names the owner's login
 * here, never given to the running service), prints what it applied, and exits 0; exits 1 with
 * the reason otherwise.
 */
export async function runMigrationStep(
  service: string,
  persistence: ServicePersistence,
): Promise<void> {
  try {
    const env = loadConfig(MigrationStepConfig);
    const dataSource = await new DataSource(
      createDataSourceOptions({ url: env.DATABASE_URL, ...persistence, poolSize: 1 }),
    ).initialize();
    try {
      const applied = await runMigrations(dataSource);
      process.stdout.write(
        `${service}: schema ${persistence.schema} migrated` +
          (applied.length ? `: ${applied.map((m) => m.name).join(', ')}\n` : ', nothing pending\n'),
      );
    } finally {
      await dataSource.destroy();
    }
    process.exit(0);
  } catch (error) {
    const reason = error instanceof ConfigError ? error.message : String(error);
    process.stderr.write(`${service} migration step failed: ${reason}\n`);
    process.exit(1);
  }
}
