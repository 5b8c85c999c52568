import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** A running embedded PostgreSQL; connect with a pool of ONE (the socket serves one client at a time). */
export interface EmbeddedPostgres {
  readonly url: string;
  /** Closes client sockets, then the database; close your DataSource first. */
  stop(): Promise<void>;
}

/** Starts PGlite persisted in `dataDir` (created if missing) behind a PostgreSQL socket on 127.0.0.1, free port. */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  await mkdir(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  // After listening on port 0 the server reports the port the OS picked.
  const hostAndPort = server.getServerConn();
  return {
    url: `postgres://postgres@${hostAndPort}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}
