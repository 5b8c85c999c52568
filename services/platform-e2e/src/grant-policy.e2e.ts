import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Manifest } from '@convergio/contracts';
import { expectEventually, startPlatform, type PlatformInfo } from '@convergio/testing';
import {
  api,
  auditTypes,
  bearer,
  createKey,
  greetManifest,
  submit,
  versionState,
} from './support/fixtures.js';
import { callHost, denials, deployHostile, expectPong } from './support/hostile.js';

/**
 * An operator policy that lets fs.read name any path (`/`) and fs.write folders under the temp
 * dir, and narrows the rest: a denied permission, hosts, a host suffix, a CIDR, and caps on fuel
 * and wall time. Whatever it allows, the platform's own files stay out of reach.
 */
const sandboxRoot = mkdtempSync(join(tmpdir(), 'cvg-policy-'));
const POLICY = {
  filesystem: {
    roots: [
      { path: '/', access: 'read' },
      { path: sandboxRoot, access: 'read-write' },
    ],
  },
  network: {
    denied_hosts: ['metadata.example.test'],
    denied_host_suffixes: ['corp.example'],
    denied_cidrs: ['203.0.113.0/24'],
  },
  permissions: { denied: ['proc.exec'] },
  limits: { max: { fuel: 1_000_000_000, wall_time_ms: 1500 } },
};

let info: PlatformInfo;
let stop: (() => Promise<void>) | undefined;
let restart: (name: string) => Promise<void>;

beforeAll(async () => {
  const started = await startPlatform({}, {}, POLICY);
  info = started.info;
  process.env.CONVERGIO_E2E_PLATFORM = JSON.stringify(info);
  stop = started.stop;
  restart = started.restart;
}, 120_000);

afterAll(async () => {
  await stop?.();
}, 60_000);

describe('the operator grant policy narrows every manifest', () => {
  let publisher: string;
  let invoker: string;
  let auditor: string;
  let bystander: string;

  beforeAll(async () => {
    [publisher, invoker, auditor] = await Promise.all([
      createKey('publisher'),
      createKey('invoker'),
      createKey('auditor'),
    ]);
    const greet = greetManifest();
    bystander = greet.id;
    await submit(publisher, greet).expect(202);
    await expectEventually(async () =>
      expect(await versionState(publisher, bystander)).toMatchObject({ loaded: true }),
    );
  });

  async function expectBystanderServed() {
    const res = await api()
      .post(`/v1/plugins/${bystander}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'greet', input: { name: 'Ada' } })
      .expect(200);
    expect(res.body.output).toEqual({ greeting: 'Hello, Ada!' });
  }

  it.each<[string, () => Partial<Manifest>, string, () => string]>([
    [
      'fs.write outside a read-write root',
      () => ({ permissions: { 'fs.write': { paths: ['/etc'] } } }),
      'filesystem.roots',
      () => '/etc',
    ],
    [
      'fs.read of the policy file (configuration)',
      () => ({ permissions: { 'fs.read': { paths: [info.grantPolicyFile] } } }),
      'protected_paths',
      () => info.grantPolicyFile,
    ],
    [
      "fs.read of another plugin's directory",
      () => ({
        permissions: { 'fs.read': { paths: [join(info.pluginFilesDir, 'e2e.someone-else')] } },
      }),
      'protected_paths',
      () => join(info.pluginFilesDir, 'e2e.someone-else'),
    ],
    [
      'fs.read of /proc',
      () => ({ permissions: { 'fs.read': { paths: ['/proc/self'] } } }),
      'protected_paths',
      () => '/proc/self',
    ],
    [
      'a denied host',
      () => ({
        permissions: {
          'net.http': { rules: [{ host: 'METADATA.example.test', methods: ['GET'] }] },
        },
      }),
      'network.denied_hosts',
      () => 'METADATA.example.test',
    ],
    [
      'a host under a denied suffix',
      () => ({
        permissions: { 'net.http': { rules: [{ host: 'api.corp.example', methods: ['GET'] }] } },
      }),
      'network.denied_host_suffixes',
      () => 'api.corp.example',
    ],
    [
      'an address in a denied CIDR',
      () => ({ permissions: { 'net.websocket': { hosts: ['203.0.113.7'] } } }),
      'network.denied_cidrs',
      () => '203.0.113.7',
    ],
    [
      'a denied permission',
      () => ({ permissions: { 'proc.exec': { binaries: ['/bin/echo'] } } }),
      'permissions.denied',
      () => 'proc.exec',
    ],
    [
      'a limit above the policy',
      () => ({ limits: { fuel: 2_000_000_000 } }),
      'limits.max.fuel',
      () => '2000000000',
    ],
  ])(
    'rejects %s at verification, naming the rule and the value',
    async (_case, overrides, rule, value) => {
      const manifest = greetManifest(overrides());
      await submit(publisher, manifest).expect(202);
      const state = await expectEventually(async () => {
        const s = await versionState(publisher, manifest.id);
        expect(s.status).toBe('rejected');
        return s;
      });
      expect(state.findings).toContainEqual(
        expect.objectContaining({ code: 'policy_violation', rule, value: value() }),
      );
      expect(await auditTypes(auditor, manifest.id)).toEqual(
        expect.arrayContaining(['plugin.submitted', 'plugin.rejected']),
      );
      expect(await auditTypes(auditor, manifest.id)).not.toContain('plugin.loaded');
    },
  );

  it("keeps the platform's own files and other plugins' files out of reach of a grant of /", async () => {
    const neighbour = await deployHostile(publisher, {
      permissions: {
        'fs.read': { paths: ['$PLUGIN_DIR'] },
        'fs.write': { paths: ['$PLUGIN_DIR'] },
      },
    });
    expect(
      await callHost(invoker, neighbour, 'fs_write', {
        path: '$PLUGIN_DIR/notes.txt',
        content: "neighbour's notes",
      }),
    ).not.toHaveProperty('error');
    expect(
      await callHost(invoker, neighbour, 'fs_read', { path: '$PLUGIN_DIR/notes.txt' }),
    ).toMatchObject({
      content: "neighbour's notes",
    });

    const reader = await deployHostile(publisher, { permissions: { 'fs.read': { paths: ['/'] } } });
    expect(
      await callHost(invoker, reader, 'fs_read', { path: '/etc/hostname' }),
    ).not.toHaveProperty('error');
    const targets = [
      info.grantPolicyFile,
      join(info.pluginFilesDir, neighbour, 'notes.txt'),
      '/proc/self/environ',
    ];
    for (const path of targets) {
      const answer = await callHost(invoker, reader, 'fs_read', { path });
      expect(answer.error).toMatchObject({ code: 'permission_denied', capability: 'fs.read' });
    }
    await expectEventually(async () =>
      expect((await denials(auditor, reader)).map((d) => d.data.target)).toEqual(
        expect.arrayContaining(targets),
      ),
    );
    await expectPong(invoker, reader);
    await expectBystanderServed();
  });

  it('stops an approved version that a policy change no longer allows, and says which rule', async () => {
    const shared = join(sandboxRoot, 'shared');
    mkdirSync(shared, { recursive: true });
    writeFileSync(join(shared, 'doc.txt'), 'shared document');
    const plugin = await deployHostile(publisher, {
      permissions: { 'fs.write': { paths: [shared] } },
    });
    expect(
      await callHost(invoker, plugin, 'fs_write', { path: join(shared, 'out.txt'), content: 'x' }),
    ).not.toHaveProperty('error');

    writeFileSync(
      info.grantPolicyFile,
      JSON.stringify({ ...POLICY, filesystem: { roots: [{ path: '/', access: 'read' }] } }),
    );
    await restart('executor');
    await restart('verification');

    const refused = await api()
      .post(`/v1/plugins/${plugin}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'ping', input: {} })
      .expect(403);
    expect(refused.body.error).toMatchObject({ code: 'policy_violation' });
    expect(refused.body.error.details).toContainEqual(
      expect.objectContaining({ rule: 'filesystem.roots', value: shared }),
    );
    await expectEventually(async () => {
      const state = (await versionState(publisher, plugin)) as unknown as {
        status: string;
        policy_violations: { rule: string }[];
      };
      expect(state.status).toBe('approved');
      expect(state.policy_violations).toContainEqual(
        expect.objectContaining({ rule: 'filesystem.roots' }),
      );
    });
    expect(await auditTypes(auditor, plugin)).toContain('plugin.policy_checked');
    await expectBystanderServed();
  });

  it('records the policy each service restarted under, by file and SHA-256', async () => {
    const sha256 = createHash('sha256').update(readFileSync(info.grantPolicyFile)).digest('hex');
    await expectEventually(async () => {
      const res = await api()
        .get('/v1/audit')
        .query({ type: 'policy.loaded', limit: 100 })
        .set(bearer(auditor))
        .expect(200);
      const loads = (res.body as { events: { data: Record<string, unknown> }[] }).events.map(
        (e) => e.data,
      );
      // At boot, or at the restarts of the previous test after it changed the file.
      for (const service of ['executor', 'verification'])
        expect(loads).toContainEqual(
          expect.objectContaining({ service, file: info.grantPolicyFile, sha256 }),
        );
    });
  });
});
