import { execFileSync } from 'node:child_process';
import dns from 'node:dns';
import { closeSync, constants, mkdtempSync, openSync, promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectEventually, startDnsServer, type TestDnsServer } from '@convergio/testing';
import type { Permissions } from '@convergio/contracts';
import type { MainThreadOps } from '@convergio/sandbox';
import { bindHostFunctions } from '../dispatch.js';
import { createNetMainThreadOps } from './net-main-ops.js';
import { FakeHostEnv, testPolicy } from './testing/fake-host-env.js';

const pluginA = { id: 'acme.stuck', version: '1.0.0', trust: 'untrusted' as const };
const pluginB = { id: 'acme.bystander', version: '1.0.0', trust: 'untrusted' as const };

/**
 * The default resolver, as the executor builds it without EXECUTOR_DNS_SERVERS: the system's
 * configured servers (here the test's server, put in Node's configuration) and /etc/hosts.
 * A name that never answers must cost only the plugin that asked for it.
 */
describe("a resolution that never ends stalls only its own plugin's call", () => {
  let dnsServer: TestDnsServer;
  let web: Server;
  let port: number;
  let ops: MainThreadOps;
  const original = dns.getServers();

  beforeAll(async () => {
    dnsServer = await startDnsServer((name, type) => {
      if (name.endsWith('.never.test')) return null;
      if (name === 'answers.test' && type === 'A') return ['127.0.0.1'];
      return [];
    });
    dns.setServers([dnsServer.address]);
    ops = createNetMainThreadOps();
    web = createServer((req, res) => res.end(`ok ${req.headers.host}`));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    port = (web.address() as AddressInfo).port;
  });
  afterAll(async () => {
    dns.setServers(original);
    web.closeAllConnections();
    web.close();
    await dnsServer.close();
  });

  /** `GET http://<host>:<port>/` by `plugin`, decided in its worker, run with `signal`. */
  const request = (
    plugin: typeof pluginA,
    host: string,
    signal: AbortSignal,
    instance: string,
    policy = testPolicy({ httpTimeoutMs: 20_000 }),
  ) => {
    const grants: Permissions = {
      'net.http': { rules: [{ host, methods: ['GET'], schemes: ['http'], ports: [port] }] },
    };
    const worker = new FakeHostEnv(bindHostFunctions, ops, plugin, grants, policy);
    const { payload } = worker.sentToMain('http_request', {
      url: `http://${host}:${port}/`,
      method: 'GET',
    })!;
    return ops.http_request(payload, { plugin, signal, instance, policy, grants });
  };

  it("answers plugin B while plugin A's 8 resolutions are still pending", async () => {
    const callA = new AbortController();
    let settledA = 0;
    const stuck = Array.from({ length: 8 }, (_, i) =>
      Promise.resolve(request(pluginA, `n${i}.never.test`, callA.signal, `a-${i}`)).finally(
        () => settledA++,
      ),
    );
    // Every one of A's queries has reached the server that never answers.
    await expectEventually(() => {
      for (let i = 0; i < 8; i++) expect(dnsServer.queries(`n${i}.never.test`)).toHaveLength(2);
    });

    const b = await request(pluginB, 'answers.test', new AbortController().signal, 'b');
    expect(b).toMatchObject({ status: 200, body: Buffer.from(`ok answers.test:${port}`) });
    expect(settledA).toBe(0);

    // A's call ends (its wall time): its resolutions are cancelled, its requests end at once.
    callA.abort();
    for (const result of await Promise.all(stuck))
      expect(result).toMatchObject({ error: { code: 'aborted' } });
  }, 10_000);

  it("ends A's resolution at A's own http timeout", async () => {
    const started = Date.now();
    const result = await request(
      pluginA,
      'timeout.never.test',
      new AbortController().signal,
      'a-timeout',
      testPolicy({ httpTimeoutMs: 300 }),
    );
    expect(result).toMatchObject({ error: { code: 'timeout' } });
    expect(Date.now() - started).toBeLessThan(2_000);
  }, 5_000);

  it('resolves names while the libuv thread pool is saturated', async () => {
    // Park every pool thread in open(2) on a FIFO no one writes: what a getaddrinfo waiting
    // on a silent DNS server does to the pool.
    const fifo = join(mkdtempSync(join(tmpdir(), 'pool-')), 'fifo');
    execFileSync('mkfifo', [fifo]);
    const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    const parked = Array.from({ length: threads }, () => fs.open(fifo, 'r'));
    try {
      const signal = AbortSignal.timeout(3_000);
      const policy = testPolicy({ httpTimeoutMs: 2_000 });
      const [named, local] = await Promise.all([
        request(pluginB, 'answers.test', signal, 'b-pool-1', policy),
        request(pluginB, 'localhost', signal, 'b-pool-2', policy),
      ]);
      expect(named).toMatchObject({ status: 200 });
      expect(local).toMatchObject({ status: 200, body: Buffer.from(`ok localhost:${port}`) });
    } finally {
      // A writer releases the parked opens.
      const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      for (const handle of await Promise.all(parked)) await handle.close();
      closeSync(writer);
    }
  }, 10_000);
});
