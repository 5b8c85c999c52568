import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectEventually } from '@convergio/testing';
import { api, bearer, createKey, greetManifest, submit, versionState } from './support/fixtures.js';
import { callHost, denials as deniedTo, deployHostile, expectPong } from './support/hostile.js';

/**
 * Hostile plugins against the running platform: every refusal is answered to the plugin as a
 * structured error, recorded as permission.denied or plugin.crashed, and leaves the executor
 * serving other plugins.
 */
describe('attacks on the executor', () => {
  let invoker: string;
  let auditor: string;
  let publisher: string;
  let hostile: string;
  let bystander: string;
  const root = mkdtempSync(join(tmpdir(), 'cvg-attack-'));
  const granted = join(root, 'granted');

  beforeAll(async () => {
    [invoker, auditor, publisher] = await Promise.all([
      createKey('invoker'),
      createKey('auditor'),
      createKey('publisher'),
    ]);
    mkdirSync(join(granted, 'out'), { recursive: true });
    writeFileSync(join(granted, 'notes.txt'), 'allowed content');
    writeFileSync(join(root, 'secret.txt'), 'outside the grant');
    symlinkSync('/etc/passwd', join(granted, 'passwd-link'));
    symlinkSync(root, join(granted, 'up'));

    hostile = await deployHostile(publisher, {
      permissions: {
        'fs.read': { paths: [granted] },
        'fs.write': { paths: [join(granted, 'out')] },
        'net.http': { rules: [{ host: 'api.example.com', methods: ['GET'] }] },
        'net.websocket': { hosts: ['ws.example.com'] },
      },
      limits: { fuel: 50_000_000, max_host_calls: 1000 },
      extraTools: ['recurse', 'flood', 'big_output'],
    });

    const greet = greetManifest();
    bystander = greet.id;
    await submit(publisher, greet).expect(202);
    await expectEventually(async () =>
      expect(await versionState(publisher, bystander)).toMatchObject({ loaded: true }),
    );
  });

  const host = (fn: string, arg: unknown) => callHost(invoker, hostile, fn, arg);
  const denials = () => deniedTo(auditor, hostile);

  /** The plugin was refused, the refusal is in the audit log, and other plugins are still served. */
  async function expectRefused(fn: string, arg: unknown, capability: string, target: string) {
    const out = await host(fn, arg);
    expect(out.error).toMatchObject({ code: 'permission_denied', capability });
    await expectEventually(async () =>
      expect((await denials()).map((d) => `${d.data.capability} ${d.data.target}`)).toContain(
        `${capability} ${target}`,
      ),
    );
    const greet = await api()
      .post(`/v1/plugins/${bystander}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'greet', input: { name: 'Ada' } })
      .expect(200);
    expect(greet.body.output).toEqual({ greeting: 'Hello, Ada!' });
  }

  it('reads what it was granted', async () => {
    expect(await host('fs_read', { path: join(granted, 'notes.txt') })).toMatchObject({
      content: 'allowed content',
    });
  });

  it.each([
    ['path traversal', () => `${granted}/../secret.txt`],
    ['a symlink escaping the grant', () => join(granted, 'passwd-link')],
    ['a directory symlink escaping the grant', () => join(granted, 'up', 'secret.txt')],
    ['/proc/self/environ (the executor environment)', () => '/proc/self/environ'],
    ['a file outside the grant', () => '/etc/shadow'],
  ])('refuses %s', async (_what, path) => {
    await expectRefused('fs_read', { path: path() }, 'fs.read', path());
  });

  it('refuses a write outside the write grant', async () => {
    const target = join(granted, 'notes.txt');
    await expectRefused('fs_write', { path: target, content: 'overwritten' }, 'fs.write', target);
    expect(await host('fs_read', { path: target })).toMatchObject({ content: 'allowed content' });
  });

  it.each([
    ['loopback', 'http://127.0.0.1/'],
    ['hex loopback', 'http://0x7f000001/'],
    ['decimal loopback', 'http://2130706433/'],
    ['IPv6 loopback', 'http://[::1]/'],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/'],
    ['a name that resolves to loopback', 'http://localhost/'],
    ['a host outside the rules', 'https://evil.example.net/'],
    ['a scheme outside the rules', 'http://api.example.com/'],
    ['a port outside the rules', 'https://api.example.com:8443/'],
  ])('refuses SSRF to %s', async (_what, url) => {
    const before = (await denials()).filter((d) => d.data.capability === 'net.http').length;
    const out = await host('http_request', { url, method: 'GET' });
    expect(out.error).toMatchObject({ code: 'permission_denied', capability: 'net.http' });
    // The recorded target is the URL as normalised (0x7f000001 becomes 127.0.0.1).
    await expectEventually(async () =>
      expect((await denials()).filter((d) => d.data.capability === 'net.http').length).toBe(
        before + 1,
      ),
    );
  });

  it('refuses a method outside the rules', async () => {
    expect(
      (await host('http_request', { url: 'https://api.example.com/', method: 'DELETE' })).error,
    ).toMatchObject({ code: 'permission_denied' });
  });

  it('refuses a websocket to a host it was not granted', async () => {
    expect(
      (await host('ws_connect', { url: 'wss://evil.example.net/socket' })).error,
    ).toMatchObject({ code: 'permission_denied', capability: 'net.websocket' });
  });

  it('refuses proc_exec and secrets to an untrusted plugin', async () => {
    await expectRefused(
      'proc_exec',
      { binary: '/bin/sh', args: ['-c', 'id; env'] },
      'proc.exec',
      '/bin/sh',
    );
    expect((await host('secret_get', { id: 'db-password' })).error).toMatchObject({
      code: 'permission_denied',
      capability: 'secrets.read',
    });
  });

  it('rejects at verification a plugin that asks for proc.exec without being trusted, or imports WASI', async () => {
    const asks = greetManifest({ permissions: { 'proc.exec': { binaries: ['/bin/echo'] } } });
    await submit(publisher, asks).expect(202);
    await expectEventually(async () =>
      expect((await versionState(publisher, asks.id)).findings.map((f) => f.code)).toContain(
        'proc_exec_untrusted',
      ),
    );
  });

  it.each([
    ['deep recursion', 'recurse', 'stack_overflow'],
    ['a host-call flood', 'flood', 'host_call_limit'],
    ['a 100 MiB output', 'big_output', undefined],
  ])('stops %s and keeps serving', async (_what, fn, reason) => {
    const res = await api()
      .post(`/v1/plugins/${hostile}/invoke`)
      .set(bearer(invoker))
      .send({ function: fn, input: {} });
    expect([422, 504]).toContain(res.status);
    await expectEventually(async () => {
      const crashes = (
        await api()
          .get('/v1/audit')
          .query({ plugin_id: hostile, type: 'plugin.crashed', limit: 100 })
          .set(bearer(auditor))
          .expect(200)
      ).body.events as { data: { function: string; reason: string } }[];
      const mine = crashes.filter((c) => c.data.function === fn);
      expect(mine.length).toBeGreaterThan(0);
      if (reason) expect(mine[0].data.reason).toBe(reason);
    });
    await expectPong(invoker, hostile);
  });
});
