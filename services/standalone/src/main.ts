import 'reflect-metadata';
import { join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '@convergio/config';
import { startEmbeddedPostgres } from '@convergio/persistence';
import { bootstrapService } from '@convergio/runtime';
import { serveOpenApi } from '@convergio/gateway';
import { StandaloneConfig } from './config/standalone.config.js';
import { StandaloneModule } from './standalone.module.js';

const log = new Logger('convergio');
let env;
try {
  env = loadConfig(StandaloneConfig, { ADMIN_KEY_FILE: join(process.env.DATA_DIR ?? './data', 'admin-key'), ...process.env });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`convergio: ${error.message}\n`);
  process.exit(1);
}

const database = await startEmbeddedPostgres(join(env.DATA_DIR, 'pg'));
const app = await bootstrapService('convergio', StandaloneModule.forRoot(env, database.url), {
  port: env.PORT,
  host: env.HOST,
  beforeListen: serveOpenApi,
  shutdownHooks: false,
});
const url = `http://${env.HOST}:${env.PORT}`;
log.log(`standalone mode: gateway at ${url} (OpenAPI at ${url}/docs), data in ${resolve(env.DATA_DIR)}`);
log.log(env.CONVERGIO_ADMIN_KEY ? 'admin key: the one in CONVERGIO_ADMIN_KEY' : `admin key: in ${resolve(env.ADMIN_KEY_FILE)}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close().then(() => database.stop()).then(() => process.exit(0));
  });
}
