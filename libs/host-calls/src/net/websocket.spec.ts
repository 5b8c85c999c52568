import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { OperatorPolicy } from '@convergio/sandbox';
import { expectEventually } from '@convergio/testing';
import { bindHostFunctions } from '../dispatch.js';
import { createNetMainThreadOps } from './net-main-ops.js';
import { FakeHostEnv, testPolicy } from './testing/fake-host-env.js';
import { closeInstanceSockets, unreadSocketBytes } from './websocket.ops.js';

const pluginA = { id: 'acme.stream', version: '1.0.0', trust: 'untrusted' as const };
const pluginB = { id: 'evil.neighbour', version: '1.0.0', trust: 'untrusted' as const };
const ops = createNetMainThreadOps();
// Fewer messages than a socket queues, far more bytes than a message may hold.
const BURST = 48;
const BURST_MESSAGE_BYTES = 1024 * 1024;

describe('websocket host functions against a real local server', () => {
  let server: WebSocketServer;
  let port: number;
  let serverSide: WebSocket[];

  beforeEach(async () => {
    serverSide = [];
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    server.on('connection', (socket) => {
      serverSide.push(socket);
      socket.on('message', (data, isBinary) => {
        const text = (data as Buffer).toString('utf8');
        if (text === 'flood') socket.send('y'.repeat(5000));
        else if (text.startsWith('burst'))
          for (let i = 0; i < BURST; i++) socket.send(Buffer.alloc(BURST_MESSAGE_BYTES, i));
        else socket.send(data, { binary: isBinary });
      });
    });
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    for (const env of envs.splice(0)) closeInstanceSockets(env.instance);
    for (const socket of serverSide) socket.terminate();
    await new Promise((resolve) => server.close(resolve));
  });

  const envs: FakeHostEnv[] = [];
  const envFor = (
    plugin = pluginA,
    policy: Partial<OperatorPolicy> = {},
    hosts = [`ws://127.0.0.1:${port}`],
  ) => {
    const env = new FakeHostEnv(
      bindHostFunctions,
      ops,
      plugin,
      { 'net.websocket': { hosts } },
      testPolicy(policy),
    );
    envs.push(env);
    return env;
  };

  async function connect(env: FakeHostEnv): Promise<string> {
    const result = (await env.invoke('ws_connect', { url: `ws://127.0.0.1:${port}/feed` })) as {
      socket_id: string;
    };
    expect(result).toEqual({ socket_id: expect.any(String) });
    return result.socket_id;
  }

  it('echoes through an allowed socket', async () => {
    const env = envFor();
    const id = await connect(env);
    expect(await env.invoke('ws_send', { socket_id: id, data: 'ping' })).toEqual({ sent: 4 });
    expect(await env.invoke('ws_recv', { socket_id: id, timeout_ms: 2000 })).toEqual({
      data: 'ping',
      encoding: 'utf8',
    });
    const binary = Buffer.from([0, 1, 255]).toString('base64');
    await env.invoke('ws_send', { socket_id: id, data: binary, encoding: 'base64' });
    expect(await env.invoke('ws_recv', { socket_id: id, timeout_ms: 2000 })).toEqual({
      data: binary,
      encoding: 'base64',
    });
    expect(await env.invoke('ws_recv', { socket_id: id, timeout_ms: 50 })).toEqual({
      timeout: true,
    });
    expect(await env.invoke('ws_close', { socket_id: id })).toEqual({ closed: true });
    expect(await env.invoke('ws_send', { socket_id: id, data: 'again' })).toMatchObject({
      error: { code: 'unknown_socket' },
    });
    expect(env.denials).toEqual([]);
  });

  it('refuses a loopback socket when private networks are not allowed, and records it', async () => {
    const env = envFor(pluginA, { allowPrivateNetworks: false });
    expect(await env.invoke('ws_connect', { url: `ws://127.0.0.1:${port}/` })).toMatchObject({
      error: { code: 'permission_denied', message: 'address 127.0.0.1 is loopback' },
    });
    expect(env.denials).toEqual([
      {
        capability: 'net.websocket',
        target: `ws://127.0.0.1:${port}/`,
        reason: 'address 127.0.0.1 is loopback',
      },
    ]);
    expect(serverSide).toHaveLength(0);
  });

  it.each([
    [
      'a host that is not granted',
      (p: number) => `ws://127.0.0.2:${p}/`,
      'host 127.0.0.2 is not allowed',
    ],
    [
      'a port that is not granted',
      () => 'ws://127.0.0.1:1/',
      'port 1 is not allowed for 127.0.0.1',
    ],
    [
      'TLS when only plaintext is granted',
      (p: number) => `wss://127.0.0.1:${p}/`,
      'scheme wss is not allowed for 127.0.0.1',
    ],
    ['an http URL', (p: number) => `http://127.0.0.1:${p}/`, 'scheme http is not supported here'],
  ])('refuses %s', async (_what, url, reason) => {
    const env = envFor();
    expect(await env.invoke('ws_connect', { url: url(port) })).toMatchObject({
      error: { code: 'permission_denied', message: reason },
    });
    expect(env.denials).toHaveLength(1);
  });

  it('parses and decides in the worker: the main thread gets only the decided socket', () => {
    const env = envFor(pluginA, { httpTimeoutMs: 500 });
    expect(
      env.sentToMain('ws_connect', { url: `WS://127.0.0.1:${port}/feed#x`, timeout_ms: 60_000 }),
    ).toEqual({
      op: 'ws_connect',
      payload: {
        target: expect.objectContaining({ href: `ws://127.0.0.1:${port}/feed` }),
        timeoutMs: 500,
      },
    });
    expect(
      env.sentToMain('ws_send', { socket_id: 'abc', data: 'aGk=', encoding: 'base64' }),
    ).toEqual({
      op: 'ws_send',
      payload: { socket_id: 'abc', data: Buffer.from('hi'), binary: true },
    });
  });

  it('refuses without a net.websocket grant', async () => {
    const env = new FakeHostEnv(bindHostFunctions, ops, pluginA, {}, testPolicy());
    expect(await env.invoke('ws_connect', { url: `ws://127.0.0.1:${port}/` })).toMatchObject({
      error: { code: 'permission_denied' },
    });
    expect(await env.invoke('ws_send', { socket_id: 'abc', data: 'x' })).toMatchObject({
      error: { code: 'permission_denied' },
    });
    expect(env.calls).toHaveLength(0);
  });

  it('refuses to send a message over the cap, and closes a socket the peer floods', async () => {
    const env = envFor(pluginA, { maxWebSocketMessageBytes: 1024 });
    const id = await connect(env);
    expect(await env.invoke('ws_send', { socket_id: id, data: 'x'.repeat(2000) })).toMatchObject({
      error: { code: 'payload_too_large' },
    });
    await env.invoke('ws_send', { socket_id: id, data: 'flood' });
    expect(await env.invoke('ws_recv', { socket_id: id, timeout_ms: 2000 })).toMatchObject({
      closed: true,
      code: 1009,
    });
  });

  it("stops reading a socket once a message's worth waits, and reads on as the plugin takes them", async () => {
    const env = envFor(pluginA, { maxWebSocketMessageBytes: BURST_MESSAGE_BYTES });
    const id = await connect(env);
    await env.invoke('ws_send', { socket_id: id, data: 'burst' });
    // What the host holds unread never passes a message's worth plus one socket read and the
    // message that crossed it: the rest waits at the peer until the plugin asks.
    let held = 0;
    for (let i = 0; i < BURST; i++) {
      await expectEventually(() => expect(unreadSocketBytes(env.instance)).toBeGreaterThan(0));
      held = Math.max(held, unreadSocketBytes(env.instance));
      expect(await env.invoke('ws_recv', { socket_id: id, timeout_ms: 5000 })).toEqual({
        data: Buffer.alloc(BURST_MESSAGE_BYTES, i).toString('base64'),
        encoding: 'base64',
      });
    }
    expect(held).toBeLessThanOrEqual(2 * BURST_MESSAGE_BYTES + 64 * 1024);
  }, 60_000);

  it("keeps a call's socket ids useless to any other call, of this plugin or another", async () => {
    const a = envFor(pluginA);
    const b = envFor(pluginB);
    const id = await connect(a);
    expect(await b.invoke('ws_send', { socket_id: id, data: 'hijack' })).toMatchObject({
      error: { code: 'unknown_socket' },
    });
    expect(await b.invoke('ws_recv', { socket_id: id, timeout_ms: 50 })).toMatchObject({
      error: { code: 'unknown_socket' },
    });
    expect(await b.invoke('ws_close', { socket_id: id })).toMatchObject({
      error: { code: 'unknown_socket' },
    });
    for (const other of [envFor({ ...pluginA, version: '2.0.0' }), envFor(pluginA)])
      expect(await other.invoke('ws_send', { socket_id: id, data: 'x' })).toMatchObject({
        error: { code: 'unknown_socket' },
      });
    expect(await a.invoke('ws_send', { socket_id: id, data: 'mine' })).toEqual({ sent: 4 });
  });

  it('closeInstanceSockets closes every socket of the call when it ends', async () => {
    const env = envFor();
    const first = await connect(env);
    await connect(env);
    const waiting = env.invoke('ws_recv', { socket_id: first, timeout_ms: 2000 });
    expect(closeInstanceSockets(env.instance)).toBe(2);
    await expectEventually(() =>
      expect(serverSide.every((s) => s.readyState === s.CLOSED)).toBe(true),
    );
    expect(await waiting).toMatchObject({ error: { code: 'unknown_socket' } });
    expect(await env.invoke('ws_send', { socket_id: first, data: 'x' })).toMatchObject({
      error: { code: 'unknown_socket' },
    });
  });

  it('pins the checked address for the handshake', async () => {
    const asked: string[] = [];
    const rebinding = createNetMainThreadOps((name) => {
      asked.push(name);
      return Promise.resolve([
        { address: asked.length === 1 ? '127.0.0.1' : '127.0.0.2', family: 4 },
      ]);
    });
    const env = new FakeHostEnv(
      bindHostFunctions,
      rebinding,
      pluginA,
      { 'net.websocket': { hosts: [`ws://rebind.example:${port}`] } },
      testPolicy(),
    );
    expect(await env.invoke('ws_connect', { url: `ws://rebind.example:${port}/` })).toEqual({
      socket_id: expect.any(String),
    });
    expect(asked).toEqual(['rebind.example']);
  });
});
