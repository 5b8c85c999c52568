import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { expectEventually } from '@convergio/testing';
import { ClientGone } from './client-gone.js';

/** The signal each request was handed, and when the handler answers. */
const signals: AbortSignal[] = [];
let answer: () => void = () => undefined;

@Controller('t')
class ProbeController {
  @Get('wait')
  async wait(@ClientGone() gone: AbortSignal) {
    signals.push(gone);
    await new Promise<void>((resolve) => {
      answer = resolve;
      gone.addEventListener('abort', () => resolve());
    });
    return { done: true };
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

describe('ClientGone', () => {
  let app: NestFastifyApplication;
  let port: number;

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(
      ProbeModule,
      new FastifyAdapter({ logger: false }),
      { logger: false },
    );
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => app?.close());
  beforeEach(() => (signals.length = 0));

  it('aborts when the client closes the connection before its answer', async () => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/t/wait' });
    req.on('error', () => undefined);
    req.end();
    await expectEventually(() => expect(signals).toHaveLength(1));
    expect(signals[0].aborted).toBe(false);
    req.destroy();
    await expectEventually(() => expect(signals[0].aborted).toBe(true));
  });

  it('does not abort once the answer was sent', async () => {
    const body = new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/t/wait' }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    await expectEventually(() => expect(signals).toHaveLength(1));
    answer();
    expect(JSON.parse(await body)).toEqual({ done: true });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(signals[0].aborted).toBe(false);
  });
});
