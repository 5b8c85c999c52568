import { Logger, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { connectBus } from '@convergio/messaging';

/** Creates a service's Nest application, starts its bus handlers and its HTTP port. */
export async function bootstrapService(
  name: string,
  module: Type | DynamicModule,
  port: number,
  beforeListen?: (app: INestApplication) => void,
): Promise<INestApplication> {
  const app = await NestFactory.create(module, { bufferLogs: false });
  app.enableShutdownHooks();
  await connectBus(app);
  beforeListen?.(app);
  await app.listen(port, '0.0.0.0');
  new Logger(name).log(`${name} listening on port ${port}`);
  return app;
}
