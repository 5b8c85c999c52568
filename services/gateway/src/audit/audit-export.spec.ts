import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { BusClient, MessageContext } from '@convergio/messaging';
import { AuditExport } from './audit-export.js';

/** An audit service of three pages of one event each, counting the pages asked for. */
function auditService() {
  const asked: (string | undefined)[] = [];
  const bus = {
    request: (_subject: string, query: { cursor?: string }) => {
      asked.push(query.cursor);
      const page = Number(query.cursor ?? 0);
      return Promise.resolve({
        events: [{ seq: page + 1 }],
        next_cursor: page < 2 ? String(page + 1) : null,
      });
    },
  } as unknown as BusClient;
  return { bus, asked };
}

/** A reply whose body is collected; `destroyed` when the export cut it. */
function reply() {
  const raw = Object.assign(new PassThrough(), { writeHead: () => undefined });
  let body = '';
  raw.on('data', (chunk: Buffer) => (body += chunk.toString()));
  const fastify = { hijack: () => undefined, raw } as unknown as FastifyReply;
  return { fastify, raw, body: () => body };
}

const context = {} as MessageContext;

describe('AuditExport', () => {
  it('streams every page while the key stays valid', async () => {
    const { bus, asked } = auditService();
    const out = reply();
    await new AuditExport(bus).stream({}, out.fastify, context, () => Promise.resolve(true));
    expect(asked).toEqual([undefined, '1', '2']);
    expect(out.body()).toBe('{"seq":1}\n{"seq":2}\n{"seq":3}\n');
    expect(out.raw.destroyed).toBe(false);
  });

  // Before: the key was checked once, at the start; a revoked key's export went on to the end of
  // the log, its own revocation and events recorded after it included (found by a review).
  it('cuts the stream, asking for no further page, once the key is no longer valid', async () => {
    const { bus, asked } = auditService();
    const out = reply();
    let checks = 0;
    const stillValid = () => Promise.resolve(++checks < 2);
    await new AuditExport(bus).stream({}, out.fastify, context, stillValid);
    expect(asked).toEqual([undefined, '1']);
    expect(out.body()).toBe('{"seq":1}\n{"seq":2}\n');
    expect(out.raw.destroyed).toBe(true);
  });

  // Before: each page that waited for the client left a 'close' listener on the response.
  it('leaves no listener behind for the pages it waited on', async () => {
    const pages = 50;
    const bus = {
      request: (_subject: string, query: { cursor?: string }) => {
        const page = Number(query.cursor ?? 0);
        return Promise.resolve({
          events: [{ seq: page + 1 }],
          next_cursor: page < pages - 1 ? String(page + 1) : null,
        });
      },
    } as unknown as BusClient;
    // A reader that takes each write only after the export has started waiting for it.
    const raw = Object.assign(new PassThrough({ highWaterMark: 1 }), {
      writeHead: () => undefined,
    });
    raw.on('data', () => raw.pause());
    const reading = setInterval(() => raw.resume(), 1);
    const listeners: number[] = [];
    const write = raw.write.bind(raw);
    raw.write = ((chunk: string) => {
      listeners.push(raw.listenerCount('close'));
      return write(chunk);
    }) as typeof raw.write;
    try {
      await new AuditExport(bus).stream(
        {},
        { hijack: () => undefined, raw } as unknown as FastifyReply,
        context,
        () => Promise.resolve(true),
      );
    } finally {
      clearInterval(reading);
    }
    expect(listeners).toHaveLength(pages);
    expect(Math.max(...listeners)).toBeLessThanOrEqual(listeners[0] + 1);
  });
});
