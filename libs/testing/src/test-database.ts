import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { reachTestServer } from './reach-test-server.js';

/** Where the throwaway databases are created; override with TEST_POSTGRES_URL. */
export const TEST_POSTGRES_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database created for one test run; `drop()` removes it even if connections are still open. */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * Creates an empty, randomly named database on the test PostgreSQL server.
 * Fails loudly (never skips) when the server stays unreachable for 30 s, naming the command that
 * starts it.
 */
export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      await withAdminClient((client) =>
        client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
      );
    },
  };
}

async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await reachTestServer(
    {
      name: 'PostgreSQL',
      url: TEST_POSTGRES_URL,
      start: 'start PostgreSQL on 127.0.0.1:5432 (pg_ctlcluster 15 main start)',
    },
    async () => {
      // A pg client connects once: each attempt is a new one.
      const attempt = new pg.Client({
        connectionString: TEST_POSTGRES_URL,
        connectionTimeoutMillis: 5000,
      });
      await attempt.connect();
      return attempt;
    },
  );
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
