import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runMain } from './run-main.js';
import { TEST_POSTGRES_URL, type TestDatabase } from './test-database.js';

const LOGINS_SQL = join(
  fileURLToPath(new URL('../../../', import.meta.url)),
  'deploy/postgres/logins.sql',
);
/** Any constant: the lock is taken in the server's `postgres` database, shared by every test run. */
const LOGINS_LOCK = 7_300_114;

/** The login that owns the audit schema and alone migrates it (never the running service's). */
export const AUDIT_OWNER = 'convergio_audit_owner';

/** The audit service's deploy step: its migrations, as the schema's owner. */
async function migrateAudit(ownerUrl: string): Promise<void> {
  const run = await runMain('audit', { DATABASE_URL: ownerUrl }, 'migrate.js');
  if (run.code !== 0)
    throw new Error(`the audit migration step failed (${run.code}):\n${run.output}`);
}

/** The database login a service works as under deploy/postgres/logins.sql. */
export function serviceLogin(service: string): string {
  return `convergio_${service.replace('-', '_')}`;
}

/**
 * Applies deploy/postgres/logins.sql to a test database (as the superuser of
 * TEST_POSTGRES_URL) and returns the database variables of each service, the production shape:
 * every service its own login; the audit schema migrated beforehand by its owner's deploy step
 * (the audit service's own login may not alter it).
 * Runs of several test files at once take turns (roles belong to the whole server).
 */
export async function applyServiceLogins(
  db: TestDatabase,
): Promise<(service: string) => Record<string, string>> {
  const script = await readFile(LOGINS_SQL, 'utf8');
  const lock = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  const target = new pg.Client({ connectionString: db.url });
  await lock.connect();
  try {
    await target.connect();
    await lock.query('SELECT pg_advisory_lock($1)', [LOGINS_LOCK]);
    await target.query(script);
  } finally {
    await target.end();
    await lock.end();
  }
  const as = (login: string) => {
    const url = new URL(db.url);
    url.username = login;
    return url.toString();
  };
  await migrateAudit(as(AUDIT_OWNER));
  return (service) => ({ DATABASE_URL: as(serviceLogin(service)) });
}
