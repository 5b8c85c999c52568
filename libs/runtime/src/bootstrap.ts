import { Logger, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { connectBus } from '@convergio/messaging';
import { initTelemetry } from '@convergio/observability';
import { jsonEndsWithNewline } from './json-newline.js';

/** How a process serves HTTP. */
export interface BootstrapOptions {
  port: number;
  host?: string;
  /** Runs after the bus handlers start and before the port opens (e.g. OpenAPI). */
  beforeListen?: (app: INestApplication) => void;
  /** Let Nest close the app on SIGTERM/SIGINT; off when the caller has more to stop afterwards. */
  shutdownHooks?: boolean;
}

/** Creates a Nest application, starts its bus handlers and its HTTP port. */
export async function bootstrapService(
  name: string,
  module: Type | DynamicModule,
  o: BootstrapOptions,
): Promise<INestApplication> {
  initTelemetry();
  const app = await NestFactory.create(module);
  app.use(jsonEndsWithNewline);
  if (o.shutdownHooks ?? true) app.enableShutdownHooks();
  await connectBus(app);
  o.beforeListen?.(app);
  await app.listen(o.port, o.host ?? '0.0.0.0');
  new Logger(name).log(`${name} listening on ${o.host ?? '0.0.0.0'}:${o.port}`);
  return app;
}
