import 'reflect-metadata';
import { runService } from '@convergio/runtime';
import { GatewayConfig } from './config/gateway.config.js';
import { gatewayPersistence, GatewayModule, prepareGatewayHttp } from './index.js';

await runService(
  'gateway',
  GatewayConfig,
  (env) => ({
    feature: GatewayModule.register(env),
    persistence: gatewayPersistence,
  }),
  prepareGatewayHttp,
);
