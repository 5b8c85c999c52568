import { randomUUID } from 'node:crypto';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { RequestSubjects, type RequestEnvelope } from '@convergio/contracts';
import { BusClient } from './bus-client.js';
import { BusController } from './bus-error.filter.js';
import {
  BusLimits,
  countSizesWithin,
  countWithin,
  DEFAULT_MAX_PAYLOAD,
  REPLY_HEADROOM_BYTES,
} from './bus-limits.js';
import { InProcessHub } from './in-process-hub.js';
import { MessagingModule, connectBus } from './messaging.module.js';
import { streamName } from './bus-names.js';
import { connectTestNats, TEST_NATS_URL } from '@convergio/testing';

const SERVICE = 'executor';

/**
 * Answers a call with an output of `input.chars` characters `input.char`, or of arrays nested
 * `input.nested` deep (which JSON.stringify cannot write: it recurses).
 */
@BusController()
class Outputs {
  @MessagePattern(RequestSubjects.ExecutorInvoke)
  invoke(@Payload() req: RequestEnvelope<'executor.invoke'>) {
    const { chars, char, nested } = req.data.input as {
      chars: number;
      char: string;
      nested?: number;
    };
    let deep: unknown[] = [];
    for (let i = 1; i < (nested ?? 0); i++) deep = [deep];
    return {
      plugin_id: req.data.plugin_id,
      version: '1.0.0',
      function: req.data.function,
      output: nested ? deep : char.repeat(chars),
      duration_ms: 1,
    };
  }
}

async function start(options: Parameters<typeof MessagingModule.forRoot>[0]) {
  @Module({
    imports: [MessagingModule.forRoot(options), MessagingModule.forService(SERVICE)],
    controllers: [Outputs],
  })
  class OutputModule {}
  const app = await NestFactory.create(OutputModule, new FastifyAdapter(), { logger: false });
  await connectBus(app);
  await app.init();
  return app;
}

const call = (app: INestApplication, chars: number, char = 'a') =>
  app
    .get(BusClient)
    .request(
      RequestSubjects.ExecutorInvoke,
      { plugin_id: 'a.big', function: 'f', input: { chars, char } },
      { timeoutMs: 20_000 },
    );

describe('a reply larger than the NATS max_payload', () => {
  const prefix = `test_${randomUUID().slice(0, 8)}`;
  let app: INestApplication;
  let nc: NatsConnection;

  beforeAll(async () => {
    app = await start({ kind: 'nats', url: TEST_NATS_URL, service: SERVICE, prefix });
    nc = await connectTestNats();
  });
  afterAll(async () => {
    await app?.close();
    await (await jetstreamManager(nc)).streams.delete(streamName(prefix));
    await nc.close();
  });

  it('knows the server max_payload, and refuses to send more', () => {
    const limits = app.get(BusLimits);
    expect(limits.maxPayload).toBe(nc.info!.max_payload);
    expect(limits.enforced).toBe(true);
    expect(limits.replyBudget).toBe(limits.maxPayload - REPLY_HEADROOM_BYTES);
  });

  it('is refused at once with reply_too_large naming the size, the limit and the settings; the next call is answered', async () => {
    const max = nc.info!.max_payload;
    const started = Date.now();
    const refused = await call(app, max + 1).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(refused).toMatchObject({
      code: 'reply_too_large',
      details: [{ code: 'max_payload', message: `at most ${max} bytes` }],
    });
    const { message } = refused as Error;
    expect(message).toMatch(/^the answer of the executor is \d+ bytes, more than the bus carries/);
    expect(message).toContain(`NATS max_payload ${max} bytes`);
    expect(message).toContain('EXECUTOR_MAX_OUTPUT_BYTES');
    expect(message).not.toContain('executor.invoke');
    expect((await call(app, 10)).output).toBe('a'.repeat(10));
  });

  it('counts bytes, not characters: escaped and multi-byte text over the limit is refused too', async () => {
    const max = nc.info!.max_payload;
    // Under max_payload in characters, over it in bytes once JSON-escaped (\u0001: 6 bytes).
    await expect(call(app, Math.ceil(max / 5), '\u0001')).rejects.toMatchObject({
      code: 'reply_too_large',
    });
    // Three bytes of UTF-8 each.
    await expect(call(app, Math.ceil(max / 2.5), '€')).rejects.toMatchObject({
      code: 'reply_too_large',
    });
  });

  it('refuses a request over max_payload at once with payload_too_large naming its size, the limit and the setting; the next call is answered', async () => {
    const max = nc.info!.max_payload;
    const started = Date.now();
    const refused = await app
      .get(BusClient)
      .request(RequestSubjects.ExecutorInvoke, {
        plugin_id: 'a.big',
        function: 'f',
        input: { chars: 1, char: 'a', pad: 'x'.repeat(max) },
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(refused).toMatchObject({
      code: 'payload_too_large',
      details: [{ code: 'max_payload', message: `at most ${max} bytes` }],
    });
    const { message } = refused as Error;
    expect(message).toMatch(/^the request to the executor is \d+ bytes, more than the bus carries/);
    expect(Number(/is (\d+) bytes/.exec(message)![1])).toBeGreaterThan(max);
    expect(message).toContain(`NATS max_payload ${max} bytes`);
    expect(message).toContain('lower GATEWAY_MAX_INVOKE_BYTES');
    expect(message).not.toContain('executor.invoke');
    expect((await call(app, 10)).output).toBe('a'.repeat(10));
  });

  it('answers a reply it cannot write as JSON with internal, and stays up for the next call', async () => {
    const refused = await app
      .get(BusClient)
      .request(
        RequestSubjects.ExecutorInvoke,
        { plugin_id: 'a.deep', function: 'f', input: { nested: 100_000 } },
        { timeoutMs: 20_000 },
      )
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: 'internal',
      message: 'the reply could not be written as JSON',
    });
    expect((await call(app, 5)).output).toBe('aaaaa');
  });

  it('sends a reply just under the limit', async () => {
    const max = nc.info!.max_payload;
    const reply = await call(app, max - 4096);
    expect((reply.output as string).length).toBe(max - 4096);
  });
});

describe('bus limits in process', () => {
  it('page by the NATS default, and enforce nothing', async () => {
    const app = await start({ kind: 'in-process', hub: new InProcessHub() });
    try {
      const limits = app.get(BusLimits);
      expect(limits.maxPayload).toBe(DEFAULT_MAX_PAYLOAD);
      expect(limits.enforced).toBe(false);
      expect(limits.replyBudget).toBe(DEFAULT_MAX_PAYLOAD - REPLY_HEADROOM_BYTES);
    } finally {
      await app.close();
    }
  });
});

describe('countWithin', () => {
  const item = (bytes: number) => 'x'.repeat(bytes - 2); // its JSON: the quotes too

  it('takes items while their JSON, with a comma each, fits the budget', () => {
    expect(countWithin([item(10), item(10), item(10)], 33)).toBe(3);
    expect(countWithin([item(10), item(10), item(10)], 32)).toBe(2);
    expect(countWithin([], 10)).toBe(0);
  });

  it('always takes the first item, so a client can page on', () => {
    expect(countWithin([item(100), item(2)], 10)).toBe(1);
  });

  it('counts UTF-8 bytes after JSON escaping', () => {
    // "\u0001" is 8 bytes as JSON, 9 with its comma; "€" is 5 (the euro sign is 3), 6.
    expect(countWithin(['\u0001', '\u0001'], 18)).toBe(2);
    expect(countWithin(['\u0001', '\u0001'], 17)).toBe(1);
    expect(countWithin(['€', '€'], 12)).toBe(2);
    expect(countWithin(['€', '€'], 11)).toBe(1);
  });
});

describe('countSizesWithin', () => {
  it('counts items of known sizes as countWithin does, reading no size past the first that does not fit', () => {
    const read: number[] = [];
    function* sizes() {
      for (const size of [9, 9, 9, 9]) {
        read.push(size);
        yield size;
      }
    }
    expect(countSizesWithin(sizes(), 25)).toBe(2);
    expect(read).toHaveLength(3);
    expect(countSizesWithin([100, 1], 10)).toBe(1);
    expect(countSizesWithin([], 10)).toBe(0);
  });
});
