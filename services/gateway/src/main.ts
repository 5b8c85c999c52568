import 'reflect-metadata';
import { runService } from '@convergio/runtime';
import { GatewayConfig } from './config/gateway.config.js';
import { gatewayPersistence, GatewayModule, serveOpenApi } from './index.js';

await runService(
  'gateway',
  GatewayConfig,
  (env) => ({
    feature: GatewayModule.register({
      adminKey: env.CONVERGIO_ADMIN_KEY,
      adminKeyFile: env.ADMIN_KEY_FILE,
    }),
    persistence: gatewayPersistence,
  }),
  serveOpenApi,
);
