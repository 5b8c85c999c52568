import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_SECRET_VALUE_BYTES } from '@convergio/contracts';
import { createMainThreadOps } from './main-thread-ops.js';
import {
  loadPassThroughPlugin,
  type PassThroughPlugin,
} from './net/testing/pass-through-plugin.js';
import { testPolicy } from './net/testing/fake-host-env.js';
import { closeInstanceSockets } from './net/websocket.ops.js';
import { createSecretServices } from './secrets/index.js';

// Under the smallest caps an operator may set, the bridge between a plugin's worker and the
// sandbox's main thread still has room for what no cap bounds (ADR 0030): a secret value, a
// response's header lines, a URL as long as a plugin may write it.
const MAX_URL = 8192;
// 25 KiB of UTF-8: U+0001 took 6 bytes in JSON; one U+0100 makes V8 keep 2 bytes a character.
const SECRET = `\u0100${'\u0001'.repeat(MAX_SECRET_VALUE_BYTES - 2)}`;
// Header lines of quotes and backslashes up to the response parser's 16 KiB cap.
const FILLER = Array.from({ length: 30 }, (_, i) => [`x-fill-${i}`, '"\\'.repeat(250)] as const);

describe('the bridge under the smallest caps', () => {
  let plugin: PassThroughPlugin;
  let http: Server;
  let httpUrl: string;
  let wss: WebSocketServer;
  let wsUrl: string;
  const serverSockets: WebSocket[] = [];
  /** A path that makes `origin`'s URL MAX_URL characters long, of percent-encoded controls. */
  const longPath = (origin: string) => {
    const room = MAX_URL - origin.length - 1;
    return `/${'a'.repeat(room % 3)}${'%01'.repeat(Math.floor(room / 3))}`;
  };

  beforeAll(async () => {
    http = createServer((req, res) => {
      if (req.url === '/to-long') return res.writeHead(302, { location: longPath(httpUrl) }).end();
      res.writeHead(200, Object.fromEntries(FILLER)).end('ok');
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const httpPort = (http.address() as AddressInfo).port;
    httpUrl = `http://127.0.0.1:${httpPort}`;
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    wss.on('connection', (socket) => void serverSockets.push(socket));
    await new Promise((resolve) => wss.once('listening', resolve));
    wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    const secrets = createSecretServices(() => Promise.resolve({ value: SECRET }));
    plugin = await loadPassThroughPlugin({
      functions: ['http_request', 'ws_connect', 'secret_get'],
      policy: testPolicy({
        maxHttpRequestBytes: 1024,
        maxHttpResponseBytes: 1024,
        maxWebSocketMessageBytes: 1,
      }),
      grants: {
        'net.http': {
          rules: [{ host: '127.0.0.1', methods: ['GET'], schemes: ['http'], ports: [httpPort] }],
        },
        'net.websocket': { hosts: [wsUrl] },
        'secrets.read': { ids: ['certificate'] },
      },
      mainThreadOps: { ...createMainThreadOps(), ...secrets.ops },
    });
  });

  afterAll(async () => {
    await plugin?.close();
    for (const instance of plugin?.instances ?? []) closeInstanceSockets(instance);
    for (const socket of serverSockets) socket.terminate();
    await new Promise((resolve) => wss.close(resolve));
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });

  beforeEach(() => plugin.denials.splice(0));

  it('hands the plugin the largest secret value a store holds, whole', async () => {
    const { value } = await plugin.call('secret_get', { id: 'certificate' });
    expect({ equal: value === SECRET, length: (value as string | undefined)?.length }).toEqual({
      equal: true,
      length: SECRET.length,
    });
  });

  it('hands the plugin header lines up to the parser cap and a redirect to the longest URL', async () => {
    const result = await plugin.call('http_request', { url: `${httpUrl}/to-long`, method: 'GET' });
    expect(result).toMatchObject({
      status: 200,
      body: 'ok',
      url: `${httpUrl}${longPath(httpUrl)}`,
      headers: Object.fromEntries(FILLER),
    });
    expect((result.url as string).length).toBe(MAX_URL);
  });

  it('connects to a URL of the longest length once encoded', async () => {
    const url = `${wsUrl}${longPath(wsUrl)}`;
    expect(url.length).toBe(MAX_URL);
    expect(await plugin.call('ws_connect', { url })).toEqual({ socket_id: expect.any(String) });
  });

  it('refuses, and records, a URL that encoding makes 9 times longer; the next is served', async () => {
    const url = `${wsUrl}/${'\u4e00'.repeat(MAX_URL - wsUrl.length - 1)}`;
    expect(await plugin.call('ws_connect', { url })).toMatchObject({
      error: {
        code: 'permission_denied',
        message: 'url is too long once encoded (more than 8192 characters)',
      },
    });
    expect(plugin.denials).toEqual([
      {
        capability: 'net.websocket',
        target: expect.any(String),
        reason: 'url is too long once encoded (more than 8192 characters)',
      },
    ]);
    expect(await plugin.call('ws_connect', { url: `${wsUrl}/next` })).toEqual({
      socket_id: expect.any(String),
    });
  });
});
