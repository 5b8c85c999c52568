import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { OperatorPolicy } from '@convergio/sandbox';
import { bindHostFunctions } from '../dispatch.js';
import { createNetMainThreadOps } from './net-main-ops.js';
import { FakeHostEnv, testPolicy } from './testing/fake-host-env.js';

const plugin = { id: 'acme.headers', version: '1.0.0', trust: 'untrusted' as const };

interface RawServer {
  url: string;
  port: number;
  /** Each request's head (request line, header lines, blank line) as the bytes received. */
  heads: Buffer[];
  close: () => Promise<void>;
}

/** A TCP server that keeps the bytes of each request head and answers 204. */
async function rawServer(): Promise<RawServer> {
  const heads: Buffer[] = [];
  const server = createServer((socket) => {
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      heads.push(received.subarray(0, end + 4));
      socket.end('HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    heads,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('http_request headers on the wire', () => {
  let server: RawServer;
  beforeEach(async () => {
    server = await rawServer();
  });
  afterEach(() => server.close());

  const envFor = (policy: Partial<OperatorPolicy> = {}) =>
    new FakeHostEnv(
      bindHostFunctions,
      createNetMainThreadOps(),
      plugin,
      {
        'net.http': {
          rules: [{ host: '127.0.0.1', methods: ['GET'], schemes: ['http'], ports: [server.port] }],
        },
      },
      testPolicy(policy),
    );

  // Node's client throws on these inside the request, once the name is resolved: the plugin got
  // an untyped network error instead of a refusal naming its header.
  it.each([
    ['\u0100', 'U+0100'],
    ['a\u2028b', 'U+2028'],
    ['\ud800', 'U+D800'],
    ['\udfff', 'U+DFFF'],
    ['\u{1F600}', 'U+1F600'],
    ['\u007f', 'U+007F'],
    ['a\r\nHost: evil', 'U+000D'],
  ])(
    'refuses the header value %j in the worker, before anything crosses, and serves the next request',
    async (value, codePoint) => {
      const env = envFor();
      const url = `${server.url}/x`;
      expect(
        await env.invoke('http_request', { url, method: 'GET', headers: { 'X-A': value } }),
      ).toEqual({
        error: {
          code: 'invalid_input',
          message: `header X-A has ${codePoint}; a header value holds only tab, space, visible ASCII and U+0080 to U+00FF`,
        },
      });
      expect(env.calls).toEqual([]);
      expect(env.denials).toEqual([]);
      expect(server.heads).toEqual([]);

      expect(
        await env.invoke('http_request', { url, method: 'GET', headers: { 'X-A': 'ok' } }),
      ).toMatchObject({ status: 204 });
      expect(server.heads).toHaveLength(1);
    },
  );

  it('sends tab and U+0080 to U+00FF as one byte each, and counts the header bytes as sent', async () => {
    const headers = {
      'X-Latin': '\t\u0080caf\u00e9\u00ff',
      Cookie: 'a=1',
      cookie: 'b=2',
      Accept: 'text/plain',
      accept: '*/*',
    };
    const lines =
      'x-latin: \t\u0080caf\u00e9\u00ff\r\ncookie: a=1; b=2\r\naccept: text/plain, */*\r\n';
    const url = `${server.url}/`;
    const target = `/127.0.0.1:${server.port}`; // the request target and the Host header
    const exact = target.length + Buffer.byteLength(lines, 'latin1');

    const over = await envFor({ maxHttpRequestBytes: exact - 1 }).invoke('http_request', {
      url,
      method: 'GET',
      headers,
    });
    expect(over).toEqual({
      error: {
        code: 'payload_too_large',
        message: `the request is ${exact} bytes, over the ${exact - 1} byte limit`,
      },
    });
    expect(server.heads).toEqual([]);

    const sent = await envFor({ maxHttpRequestBytes: exact }).invoke('http_request', {
      url,
      method: 'GET',
      headers,
    });
    expect(sent).toMatchObject({ status: 204 });
    expect(server.heads[0].includes(Buffer.from(lines, 'latin1'))).toBe(true);
  });
});
