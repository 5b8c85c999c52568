import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { TObject, Static } from '@sinclair/typebox';
import { ConfigError, loadConfig } from '@convergio/config';
import { httpTimeoutsOf } from './base-config.js';
import { bootstrapService } from './bootstrap.js';
import type { LogSettings } from '@convergio/observability';
import { ServiceRootModule, type ServiceRootOptions } from './service-root.module.js';

/** What `serviceEnv` adds to every service's environment. */
type ServiceEnv = LogSettings &
  Parameters<typeof httpTimeoutsOf>[0] & {
    PORT: number;
    HOST: string;
    HTTP_MAX_CONNECTIONS: number;
  };

/**
 * The whole `main.ts` of a distributed service: validate the environment
 * (exit with every bad variable named), then boot.
 */
export async function runService<S extends TObject>(
  service: string,
  schema: S,
  root: (
    env: Static<S>,
  ) =>
    | Omit<ServiceRootOptions, 'service' | 'env'>
    | Promise<Omit<ServiceRootOptions, 'service' | 'env'>>,
  beforeListen?: (app: NestFastifyApplication) => void,
): Promise<void> {
  try {
    const env = loadConfig(schema);
    // Settings built from the environment may read files (the grant policy): same refusal.
    const options = await root(env);
    const e = env as Static<S> & ServiceRootOptions['env'] & ServiceEnv;
    await bootstrapService(service, ServiceRootModule.forRoot({ service, env: e, ...options }), {
      port: e.PORT,
      host: e.HOST,
      timeouts: httpTimeoutsOf(e),
      maxConnections: e.HTTP_MAX_CONNECTIONS,
      logging: e,
      beforeListen,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${service}: ${error.message}\n`);
    process.exit(1);
  }
}
