import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { GatewayLimits } from '../config/gateway.config.js';
import { prepareGatewayBodies } from '../openapi.js';

/** The gateway limits of the probe apps (GATEWAY_LIMITS): small, so that specs reach them. */
export const PROBE_LIMITS = {
  GATEWAY_MAX_INVOKE_BYTES: 64 * 1024,
  GATEWAY_MAX_JSON_DEPTH: 64,
} as GatewayLimits;

/** What a probe app answered: the status and the JSON body. */
interface ProbeAnswer {
  status: number;
  body: {
    error?: { code: string; message: string; details: { code: string; message: string }[] };
  } & Record<string, unknown>;
}

/** A probe app listening on loopback, and a raw request to it over a real socket. */
export interface ProbeApp {
  app: NestFastifyApplication;
  /** Sends `body` with exactly `headers` (and its Content-Length); resolves with the answer. */
  send(
    method: string,
    path: string,
    headers?: Record<string, string>,
    body?: string | Buffer,
  ): Promise<ProbeAnswer>;
}

/**
 * Starts `module` (a spec's controllers and providers) with the gateway's own body handling, as
 * main.ts and the standalone process run it, on a free loopback port; `prepare` is
 * prepareGatewayHttp for a module that authenticates (provides RequestAuthentication).
 */
export async function startProbeApp(
  module: Parameters<typeof NestFactory.create>[0],
  prepare: (app: NestFastifyApplication) => void = prepareGatewayBodies,
): Promise<ProbeApp> {
  const app = await NestFactory.create<NestFastifyApplication>(
    module,
    new FastifyAdapter({ logger: false }),
    { bodyParser: false, logger: false },
  );
  prepare(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const send: ProbeApp['send'] = (method, path, headers = {}, body) =>
    new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path,
          method,
          headers: {
            // A Transfer-Encoding sends the body chunked, which a Content-Length would contradict.
            ...(body === undefined || 'transfer-encoding' in headers
              ? {}
              : { 'content-length': String(Buffer.byteLength(body)) }),
            ...headers,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as ProbeAnswer['body'] }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { app, send };
}
