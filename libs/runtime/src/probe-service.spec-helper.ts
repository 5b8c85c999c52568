import { request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import {
  Controller,
  Get,
  Module,
  type DynamicModule,
  type INestApplication,
  type Type,
} from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { InProcessHub, MessagingModule } from '@convergio/messaging';
import { bootstrapService } from './bootstrap.js';
import { MetricsController } from './metrics.controller.js';

@Controller()
class ProbeController {
  @Get('healthz')
  health() {
    return { status: 'ok' };
  }
}

/** A service with GET /healthz and /metrics, on an in-process bus. */
@Module({
  imports: [
    MessagingModule.forRoot({ kind: 'in-process', hub: new InProcessHub() }),
    MessagingModule.forService('probe'),
  ],
  controllers: [ProbeController, MetricsController],
})
export class ProbeModule {}

/** A service as bootstrapService starts it (by default {@link ProbeModule}, without an error filter of its own). */
export function start(
  beforeListen?: (app: NestFastifyApplication) => void,
  module: Type | DynamicModule = ProbeModule,
): Promise<INestApplication> {
  return bootstrapService('probe', module, {
    port: 0,
    host: '127.0.0.1',
    timeouts: { requestMs: 30_000, idleMs: 30_000 },
    maxConnections: 64,
    logging: { LOG_LEVEL: 'error', LOG_FORMAT: 'json' },
    beforeListen,
    shutdownHooks: false,
  });
}

/** A raw request over a real socket, the path exactly as given. */
export function call(
  app: INestApplication,
  method: string,
  path: string,
): Promise<{ status: number; type: string | undefined; text: string }> {
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], text }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Writes `raw` on a new connection to `app`, then reads until the server closes it or
 * `closeAfterMs` passes; answers every byte received.
 */
export function exchange(app: INestApplication, raw: string, closeAfterMs = 2000): Promise<string> {
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  return exchangeOnPort(port, raw, closeAfterMs);
}

/** {@link exchange} with the server listening on loopback `port`. */
export function exchangeOnPort(port: number, raw: string, closeAfterMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(raw));
    socket.on('data', (d) => (out += d.toString()));
    socket.on('error', () => undefined);
    const timer = setTimeout(() => socket.destroy(), closeAfterMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** The body of the last answer in a raw `response`. */
export const lastBody = (response: string) => response.slice(response.lastIndexOf('\r\n\r\n') + 4);
