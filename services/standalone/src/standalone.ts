import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { Static } from '@sinclair/typebox';
import { assertDataDirFree, startEmbeddedPostgres } from '@convergio/persistence';
import {
  assertCanListen,
  bootstrapService,
  httpTimeoutsOf,
  loadPlatformGrants,
} from '@convergio/runtime';
import { prepareGatewayHttp } from '@convergio/gateway';
import { sbomPolicyOf } from '@convergio/verification';
import { adminKeyFile } from './admin-key-file.js';
import type { StandaloneConfig } from './config/standalone.config.js';
import { StandaloneModule } from './standalone.module.js';
import { secretStoreKeyFile, standaloneSecretStoreKey } from './secret-store-key.js';

/** A running standalone platform: the gateway's address and how to stop it cleanly. */
export interface Standalone {
  app: INestApplication;
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts every service in this process on the embedded database in DATA_DIR. Throws
 * ConfigError when it cannot listen on HOST:PORT (before anything is written to DATA_DIR), when
 * the grant policy file or the OSV database is unreadable or invalid, and DataDirInUseError
 * when another running platform has DATA_DIR.
 */
export async function startStandalone(env: Static<typeof StandaloneConfig>): Promise<Standalone> {
  // Before DATA_DIR gets its key or its database: a refused start leaves nothing behind.
  const databaseDir = join(env.DATA_DIR, 'pg');
  await assertDataDirFree(databaseDir);
  await assertCanListen(env.PORT, env.HOST);
  const grants = loadPlatformGrants({
    policyFile: env.GRANT_POLICY_FILE,
    pluginFilesDir: env.PLUGIN_FILES_DIR ?? join(env.DATA_DIR, 'plugin-files'),
    dataDirs: [env.DATA_DIR],
    configFiles: [adminKeyFile(env), secretStoreKeyFile(env)],
  });
  const sbom = await sbomPolicyOf(env);
  const secretStoreKey =
    env.SECRET_STORE_KEY ??
    (env.AZURE_KEY_VAULT_URL ? undefined : await standaloneSecretStoreKey(secretStoreKeyFile(env)));
  const database = await startEmbeddedPostgres(databaseDir);
  try {
    const app = await bootstrapService(
      'convergio',
      StandaloneModule.forRoot(
        { ...env, SECRET_STORE_KEY: secretStoreKey },
        database.url,
        grants,
        sbom,
      ),
      {
        port: env.PORT,
        host: env.HOST,
        timeouts: httpTimeoutsOf(env),
        maxConnections: env.HTTP_MAX_CONNECTIONS,
        logging: env,
        beforeListen: prepareGatewayHttp,
        // The embedded database must stop after the app, so shutdown is ours to run.
        shutdownHooks: false,
      },
    );
    const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
    return {
      app,
      url: `http://${env.HOST}:${port}`,
      stop: async () => {
        await app.close();
        await database.stop();
      },
    };
  } catch (error) {
    await database.stop();
    throw error;
  }
}
