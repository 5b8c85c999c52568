import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseNetUrl, targetBytes } from '@convergio/policy';
import { expectEventually } from '@convergio/testing';
import { createMainThreadOps } from '../main-thread-ops.js';
import { loadPassThroughPlugin, type PassThroughPlugin } from './testing/pass-through-plugin.js';
import { testPolicy } from './testing/fake-host-env.js';
import { closeInstanceSockets } from './websocket.ops.js';

// Bodies and messages at their caps, made of what costs the most to carry as text (control
// characters, quotes, backslashes), cross from the plugin's worker to the sandbox's main thread
// and back whole, in the real sandbox (ADR 0030).
const CAP = 64 * 1024;

/** `length` bytes cycling through every C0 control character, `"` and `\`: valid UTF-8. */
function costlyText(length: number): Buffer {
  const alphabet = [...Array.from({ length: 32 }, (_, i) => i), 0x22, 0x5c];
  return Buffer.from(Array.from({ length }, (_, i) => alphabet[i % alphabet.length]));
}

/** `length` bytes that are not UTF-8 (each a lone continuation byte). */
const binary = (length: number) => Buffer.alloc(length, 0x80);

/** A long text as a test reports it: equal or not, without printing it whole. */
const sameText = (actual: unknown, expected: Buffer) =>
  expect({
    equal: actual === expected.toString('utf8'),
    length: (actual as string)?.length,
  }).toEqual({ equal: true, length: expected.toString('utf8').length });

describe('bodies and messages at their caps cross the sandbox bridge whole', () => {
  let plugin: PassThroughPlugin;
  let http: Server;
  let httpUrl: string;
  let received: Buffer[];
  let wss: WebSocketServer;
  let wsUrl: string;
  let wsReceived: { data: Buffer; isBinary: boolean }[];
  const serverSockets: WebSocket[] = [];

  beforeAll(async () => {
    http = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push(Buffer.concat(chunks));
        const [, kind, length] = /^\/(text|binary)\/(\d+)$/.exec(req.url ?? '') ?? [];
        const size = Number(length);
        res.end(kind === 'text' ? costlyText(size) : kind === 'binary' ? binary(size) : 'ok');
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const httpPort = (http.address() as AddressInfo).port;
    httpUrl = `http://127.0.0.1:${httpPort}`;
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    wss.on('connection', (socket) => {
      serverSockets.push(socket);
      socket.on('message', (data: Buffer, isBinary) => {
        const [, kind, length] = /^send (text|binary) (\d+)$/.exec(data.toString('latin1')) ?? [];
        if (kind === 'text') socket.send(costlyText(Number(length)), { binary: false });
        else if (kind === 'binary') socket.send(binary(Number(length)), { binary: true });
        else wsReceived.push({ data, isBinary });
      });
    });
    await new Promise((resolve) => wss.once('listening', resolve));
    wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    plugin = await loadPassThroughPlugin({
      functions: ['http_request', 'ws_connect', 'ws_send', 'ws_recv'],
      policy: testPolicy({
        maxHttpRequestBytes: CAP,
        maxHttpResponseBytes: CAP,
        maxWebSocketMessageBytes: CAP,
      }),
      grants: {
        'net.http': {
          rules: [
            { host: '127.0.0.1', methods: ['GET', 'POST'], schemes: ['http'], ports: [httpPort] },
          ],
        },
        'net.websocket': { hosts: [wsUrl] },
      },
      mainThreadOps: createMainThreadOps(),
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

  beforeEach(() => {
    received = [];
    wsReceived = [];
  });

  describe('http_request', () => {
    const url = () => `${httpUrl}/in`;
    // The cap counts the body, the header lines and the URL (path, query, Host), as sent.
    const bodyRoom = () => {
      const target = parseNetUrl(url(), ['http']);
      if (!target.ok) throw new Error(target.reason);
      return CAP - targetBytes(target.value);
    };
    const post = (body: Buffer) =>
      plugin.call('http_request', { url: url(), method: 'POST', body: body.toString('utf8') });

    it('sends a UTF-8 body at the cap made of U+0001 byte for byte', async () => {
      const body = Buffer.alloc(bodyRoom(), 0x01);
      expect(await post(body)).toMatchObject({ status: 200, body: 'ok' });
      expect(received).toEqual([body]);
    });

    it('sends a body at the cap of every costly character byte for byte', async () => {
      const body = costlyText(bodyRoom());
      expect(await post(body)).toMatchObject({ status: 200, body: 'ok' });
      expect(received).toEqual([body]);
    });

    it('still refuses a body one byte over the cap, sending nothing; the next is served', async () => {
      expect(await post(Buffer.alloc(bodyRoom() + 1, 0x01))).toMatchObject({
        error: { code: 'payload_too_large' },
      });
      expect(received).toEqual([]);
      expect(await plugin.call('http_request', { url: url(), method: 'GET' })).toMatchObject({
        status: 200,
        body: 'ok',
      });
    });

    it('hands the plugin a response at the cap of control characters whole, as utf8', async () => {
      const result = await plugin.call('http_request', {
        url: `${httpUrl}/text/${CAP}`,
        method: 'GET',
      });
      const { body, ...rest } = result;
      expect(rest).toMatchObject({ status: 200, encoding: 'utf8', truncated: false });
      sameText(body, costlyText(CAP));
    });

    it('hands the plugin a response at the cap that is not UTF-8 whole, as base64', async () => {
      const result = await plugin.call('http_request', {
        url: `${httpUrl}/binary/${CAP}`,
        method: 'GET',
      });
      const { body, ...rest } = result;
      expect(rest).toMatchObject({ status: 200, encoding: 'base64', truncated: false });
      expect(body === binary(CAP).toString('base64')).toBe(true);
    });

    it('cuts a response one byte over the cap at the cap, and says so', async () => {
      const result = await plugin.call('http_request', {
        url: `${httpUrl}/text/${CAP + 1}`,
        method: 'GET',
      });
      const { body, ...rest } = result;
      expect(rest).toMatchObject({ status: 200, encoding: 'utf8', truncated: true });
      sameText(body, costlyText(CAP));
    });
  });

  describe('websocket messages', () => {
    const connect = async () => {
      const result = await plugin.call('ws_connect', { url: `${wsUrl}/feed` });
      expect(result).toEqual({ socket_id: expect.any(String) });
      return result.socket_id as string;
    };
    const send = (socketId: string, data: string) =>
      plugin.call('ws_send', { socket_id: socketId, data });

    it('sends a text message at the cap of costly characters byte for byte', async () => {
      const id = await connect();
      const message = costlyText(CAP);
      expect(await send(id, message.toString('utf8'))).toEqual({ sent: CAP });
      await expectEventually(() => expect(wsReceived).toHaveLength(1));
      expect(wsReceived[0].isBinary).toBe(false);
      expect(wsReceived[0].data.equals(message)).toBe(true);
    });

    it('still refuses a message one byte over the cap; the socket carries the next', async () => {
      const id = await connect();
      expect(await send(id, Buffer.alloc(CAP + 1, 0x01).toString('utf8'))).toMatchObject({
        error: { code: 'payload_too_large' },
      });
      expect(await send(id, 'next')).toEqual({ sent: 4 });
      await expectEventually(() =>
        expect(wsReceived).toEqual([{ data: Buffer.from('next'), isBinary: false }]),
      );
    });

    it('hands the plugin a text message at the cap of control characters whole, as utf8', async () => {
      const id = await connect();
      await send(id, `send text ${CAP}`);
      const { data, ...rest } = await plugin.call('ws_recv', { socket_id: id, timeout_ms: 5000 });
      expect(rest).toEqual({ encoding: 'utf8' });
      sameText(data, costlyText(CAP));
    });

    it('hands the plugin a binary message at the cap whole, as base64', async () => {
      const id = await connect();
      await send(id, `send binary ${CAP}`);
      const { data, ...rest } = await plugin.call('ws_recv', { socket_id: id, timeout_ms: 5000 });
      expect(rest).toEqual({ encoding: 'base64' });
      expect(data === binary(CAP).toString('base64')).toBe(true);
    });
  });
});
