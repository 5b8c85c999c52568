import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  expectEventually,
  startDnsServer,
  startPlatform,
  type TestDnsServer,
} from '@convergio/testing';
import { createKey } from './support/fixtures.js';
import { callHost, denials, deployHostile, expectPong } from './support/hostile.js';

// Public unicast (the policy's `public` class, not a documentation range), unreachable here.
const PUBLIC = '93.184.215.14';

/**
 * A platform whose executor resolves names with the test's DNS server (EXECUTOR_DNS_SERVERS),
 * playing an attacker's DNS: granted names that point at loopback, and one whose answers
 * alternate between a public address and loopback (rebinding). The loopback HTTP servers stand
 * for internal services; no call may ever reach them.
 */
describe("names are resolved once, by the operator's DNS servers, and every answer is checked", () => {
  let stop: (() => Promise<void>) | undefined;
  let dns: TestDnsServer;
  let loopback4: Server;
  let loopback6: Server;
  let invoker: string;
  let auditor: string;
  let hostile: string;
  const hits: string[] = [];
  let flips = 0;
  const port = (s: Server) => (s.address() as AddressInfo).port;

  beforeAll(async () => {
    const internal = (req: IncomingMessage, res: ServerResponse) => {
      hits.push(req.headers.host ?? '');
      res.end('internal secrets');
    };
    loopback4 = createServer(internal);
    loopback6 = createServer(internal);
    await Promise.all([
      once(loopback4.listen(0, '127.0.0.1'), 'listening'),
      once(loopback6.listen(0, '::1'), 'listening'),
    ]);
    dns = await startDnsServer((name, type) => {
      if (name === 'internal.rebind.test' && type === 'A') return ['127.0.0.1'];
      if (name === 'internal6.rebind.test' && type === 'AAAA') return ['::1'];
      if (name === 'flip.rebind.test' && type === 'A') return [flips++ % 2 ? '127.0.0.1' : PUBLIC];
      return [];
    });
    // A short http_request timeout: the public address never answers.
    const started = await startPlatform({
      EXECUTOR_DNS_SERVERS: dns.address,
      EXECUTOR_HTTP_TIMEOUT_MS: '1000',
    });
    stop = started.stop;
    process.env.CONVERGIO_E2E_PLATFORM = JSON.stringify(started.info);

    let publisher: string;
    [invoker, auditor, publisher] = await Promise.all([
      createKey('invoker'),
      createKey('auditor'),
      createKey('publisher'),
    ]);
    const ports = [port(loopback4), port(loopback6)];
    hostile = await deployHostile(publisher, {
      permissions: {
        'net.http': {
          rules: ['internal.rebind.test', 'internal6.rebind.test', 'flip.rebind.test'].map(
            (host) => ({ host, schemes: ['http'], ports, methods: ['GET'] }),
          ),
        },
      },
    });
  }, 120_000);

  afterAll(async () => {
    await stop?.();
    loopback4.close();
    loopback6.close();
    await dns.close();
  });

  const get = (host: string, p: number) =>
    callHost(invoker, hostile, 'http_request', { url: `http://${host}:${p}/admin`, method: 'GET' });

  it.each([
    ['internal.rebind.test', 'A', '127.0.0.1', () => port(loopback4)],
    ['internal6.rebind.test', 'AAAA', '::1', () => port(loopback6)],
  ])(
    'refuses %s, a granted name whose %s record is loopback, and records it',
    async (host, type, address, p) => {
      const reason = `host ${host} resolves to ${address} is loopback`;
      expect(await get(host, p())).toMatchObject({
        error: { code: 'permission_denied', capability: 'net.http', message: reason },
      });
      expect(dns.queries(host)).toContain(type);
      await expectEventually(async () =>
        expect((await denials(auditor, hostile)).map((d) => d.data)).toContainEqual(
          expect.objectContaining({
            capability: 'net.http',
            target: `http://${host}:${p()}/admin`,
            reason,
          }),
        ),
      );
      expect(hits).toEqual([]);
      await expectPong(invoker, hostile);
    },
  );

  it('connects to the address it checked, never to a second answer (DNS rebinding)', async () => {
    const calls = 4;
    const answers = [];
    for (let i = 0; i < calls; i++) answers.push(await get('flip.rebind.test', port(loopback4)));

    // Public answer: the pinned connection to it fails. Loopback answer: refused before connecting.
    expect(answers.map((a) => a.error?.code)).toEqual([
      expect.stringMatching(/^(network_error|timeout)$/),
      'permission_denied',
      expect.stringMatching(/^(network_error|timeout)$/),
      'permission_denied',
    ]);
    for (const answer of answers) expect(JSON.stringify(answer)).not.toContain('internal secrets');
    expect(hits).toEqual([]);
    // One resolution per call (an A and an AAAA query), none at connect time.
    expect(dns.queries('flip.rebind.test').sort()).toEqual([
      ...Array<string>(calls).fill('A'),
      ...Array<string>(calls).fill('AAAA'),
    ]);
    await expectPong(invoker, hostile);
  });
});
