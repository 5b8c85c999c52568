import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { lockDataDir } from './data-dir-lock.js';

/** A running embedded PostgreSQL; connect with a pool of ONE (the socket serves one client at a time). */
export interface EmbeddedPostgres {
  readonly url: string;
  /** Closes client sockets, then the database; close your DataSource first. */
  stop(): Promise<void>;
}

/**
 * Starts PGlite persisted in `dataDir` (created if missing) behind a PostgreSQL socket on
 * 127.0.0.1, free port, holding the directory's lock until stopped.
 * @throws DataDirInUseError when another live process has the directory
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  await mkdir(dataDir, { recursive: true });
  const lock = await lockDataDir(dataDir);
  let db: PGlite | undefined;
  let server: PGLiteSocketServer;
  try {
    db = await PGlite.create(dataDir);
    server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 });
    await server.start();
  } catch (error) {
    await db?.close();
    await lock.release();
    throw error;
  }
  // After listening on port 0 the server reports the port the OS picked.
  const hostAndPort = server.getServerConn();
  return {
    url: `postgres://postgres@${hostAndPort}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
      await lock.release();
    },
  };
}
