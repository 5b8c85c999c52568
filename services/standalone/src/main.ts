import 'reflect-metadata';
import { resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '@convergio/config';
import { DataDirInUseError } from '@convergio/persistence';
import { adminKeyFile } from './admin-key-file.js';
import { StandaloneConfig } from './config/standalone.config.js';
import { secretStoreKeyFile } from './secret-store-key.js';
import { startStandalone } from './standalone.js';

const log = new Logger('convergio');
let env;
try {
  env = loadConfig(StandaloneConfig);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`convergio: ${error.message}\n`);
  process.exit(1);
}

const platform = await startStandalone(env).catch((error: unknown) => {
  if (!(error instanceof ConfigError || error instanceof DataDirInUseError)) throw error;
  process.stderr.write(`convergio: ${error.message}\n`);
  process.exit(1);
});
log.log(
  `standalone mode: gateway at ${platform.url} (OpenAPI at ${platform.url}/docs), data in ${resolve(env.DATA_DIR)}`,
);
log.log(
  env.CONVERGIO_ADMIN_KEY
    ? 'admin key: the one in CONVERGIO_ADMIN_KEY'
    : `admin key: in ${resolve(adminKeyFile(env))}`,
);

if (!env.AZURE_KEY_VAULT_URL)
  log.log(
    env.SECRET_STORE_KEY
      ? 'embedded secret store key: the one in SECRET_STORE_KEY'
      : `embedded secret store key: in ${resolve(secretStoreKeyFile(env))}`,
  );

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void platform.stop().then(() => process.exit(0));
  });
}
