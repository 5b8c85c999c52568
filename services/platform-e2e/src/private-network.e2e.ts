import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import {
  aManifest,
  createPublisherKey,
  exampleModule,
  expectEventually,
  startPlatform,
} from '@convergio/testing';

/**
 * A second platform whose operator allows private networks, so an HTTP server on loopback can
 * stand in for the internet: the redirect from an allowed host to a forbidden one is refused at
 * the hop, and recorded.
 */
describe('redirects are re-checked hop by hop (operator allows private networks)', () => {
  let stop: (() => Promise<void>) | undefined;
  let gateway: string;
  let admin: string;
  let allowed: Server;
  let forbidden: Server;
  let forbiddenHits = 0;
  const port = (s: Server) => (s.address() as AddressInfo).port;
  const auth = () => ({ Authorization: `Bearer ${admin}` });

  beforeAll(async () => {
    forbidden = createServer((_req, res) => {
      forbiddenHits++;
      res.end('internal secrets');
    }).listen(0, '127.0.0.1');
    allowed = createServer((req, res) => {
      if (req.url === '/hop')
        res.writeHead(302, { Location: `http://127.0.0.1:${port(forbidden)}/admin` }).end();
      else res.end('public data');
    }).listen(0, '127.0.0.1');
    const started = await startPlatform({ EXECUTOR_ALLOW_PRIVATE_NETWORKS: 'true' });
    stop = started.stop;
    gateway = started.info.gatewayUrl;
    admin = started.info.adminKey;
  }, 120_000);

  afterAll(async () => {
    await stop?.();
    allowed.close();
    forbidden.close();
  });

  it('follows nothing outside the rules: the hop to another port is refused and recorded', async () => {
    const module = exampleModule('hostile.wasm');
    const manifest = aManifest(
      {
        id: 'e2e.redirect',
        entrypoint: 'hostile.wasm',
        capabilities: {
          tools: [
            { name: 'call_host', function: 'call_host', description: 'attack', input_schema: {} },
          ],
        },
        permissions: {
          'net.http': {
            rules: [
              { host: '127.0.0.1', schemes: ['http'], ports: [port(allowed)], methods: ['GET'] },
            ],
          },
        },
      },
      module,
    );
    const publisher = await createPublisherKey(gateway, admin);
    await request(gateway)
      .post('/v1/plugins')
      .set({ Authorization: `Bearer ${publisher}` })
      .attach('manifest', Buffer.from(JSON.stringify(manifest)), 'plugin.json')
      .attach('module', module, 'hostile.wasm')
      .expect(202);
    await expectEventually(async () =>
      expect((await request(gateway).get('/v1/approvals').set(auth())).body.items).toHaveLength(1),
    );
    await request(gateway)
      .post('/v1/approvals/e2e.redirect/1.0.0/approve')
      .set(auth())
      .send({})
      .expect(200);
    const call = (path: string) =>
      expectEventually(
        async () => {
          const res = await request(gateway)
            .post('/v1/plugins/e2e.redirect/invoke')
            .set(auth())
            .send({
              function: 'call_host',
              input: {
                fn: 'http_request',
                arg: { url: `http://127.0.0.1:${port(allowed)}${path}`, method: 'GET' },
              },
            })
            .expect(200);
          return res.body.output as { body?: string; error?: { code: string } };
        },
        { timeoutMs: 20_000 },
      );

    expect(await call('/data')).toMatchObject({ body: 'public data' });
    expect(await call('/hop')).toMatchObject({ error: { code: 'permission_denied' } });
    expect(forbiddenHits).toBe(0);
    await expectEventually(async () => {
      const audit = await request(gateway)
        .get('/v1/audit')
        .query({ plugin_id: 'e2e.redirect', type: 'permission.denied' })
        .set(auth())
        .expect(200);
      expect(
        (audit.body as { events: { data: { target: string } }[] }).events.map((e) => e.data.target),
      ).toContain(`http://127.0.0.1:${port(forbidden)}/admin`);
    });
  });
});
