import type { Manifest, Permissions, PluginLimits } from '@convergio/contracts';
import { parseCidr } from '../net/cidr.js';
import { adminRequired } from './admin-required.js';
import { checkGrants } from './check-grants.js';
import type { GrantContext } from './grant-context.js';
import { DEFAULT_GRANT_POLICY, type GrantPolicy } from './grant-policy.js';
import { netPolicyFor } from './net-policy-for.js';

const DATA = '/var/lib/convergio';
const OWN = `${DATA}/files/my-plugin`;

const manifest = (permissions: Permissions, limits?: PluginLimits): Manifest => ({
  id: 'my-plugin',
  name: 'My plugin',
  version: '1.0.0',
  author: 'a',
  license: 'MIT',
  min_core_version: '0.1.0',
  entrypoint: 'plugin.wasm',
  capabilities: {},
  permissions,
  ...(limits ? { limits } : {}),
  signing: { sha256: '0'.repeat(64) },
});

// A fake file system: symlinks, by real path prefix (longest first).
const links: Record<string, string> = {
  [`${OWN}/link-to-data`]: DATA,
  [`${OWN}/link-to-other`]: `${DATA}/files/other-plugin`,
  [`${OWN}/link-to-env`]: '/srv/app/.env',
  '/srv/docs/escape': '/etc',
  '/srv/alias': '/srv/docs',
  '/etc/protected-link': '/srv/docs/secret',
};
const realPath = (path: string): string => {
  const link = Object.keys(links)
    .sort((a, b) => b.length - a.length)
    .find((l) => path === l || path.startsWith(`${l}/`));
  return link === undefined ? path : realPath(links[link] + path.slice(link.length));
};
const ctx: GrantContext = {
  pluginId: 'my-plugin',
  pluginDir: OWN,
  protection: { roots: ['/proc', '/sys', '/dev', DATA, '/etc/convergio'], ownDir: OWN },
  realPath,
};

const policy = (overrides: Partial<GrantPolicy> = {}): GrantPolicy => ({
  ...DEFAULT_GRANT_POLICY,
  filesystem: {
    roots: [
      { path: '/srv/docs', access: 'read' },
      { path: '/srv/out', access: 'read-write' },
    ],
    admin_required_outside_plugin_dir: true,
  },
  ...overrides,
});
const rules = (findings: { rule: string }[]) => findings.map((f) => f.rule).sort();

describe('checkGrants: filesystem', () => {
  it.each<[string, Permissions, string[]]>([
    ['the own directory by token', { 'fs.read': { paths: ['$PLUGIN_DIR'] } }, []],
    ['below the own directory', { 'fs.write': { paths: ['$PLUGIN_DIR/cache/'] } }, []],
    ['the own directory by its path', { 'fs.read': { paths: [`${OWN}/a`] } }, []],
    ['a read root', { 'fs.read': { paths: ['/srv/docs/manual.pdf'] } }, []],
    ['a read root, trailing slash', { 'fs.read': { paths: ['/srv/docs/'] } }, []],
    ['a read-write root for writing', { 'fs.write': { paths: ['/srv/out/x'] } }, []],
    [
      'a read root used for fs.write',
      { 'fs.write': { paths: ['/srv/docs/x'] } },
      ['filesystem.roots'],
    ],
    ['outside every root', { 'fs.read': { paths: ['/home/me'] } }, ['filesystem.roots']],
    [
      'prefix confusion /srv/docs-evil',
      { 'fs.read': { paths: ['/srv/docs-evil'] } },
      ['filesystem.roots'],
    ],
    ['a parent of a root', { 'fs.read': { paths: ['/srv'] } }, ['filesystem.roots']],
    ['..', { 'fs.read': { paths: ['/srv/docs/../../etc/passwd'] } }, ['filesystem.roots']],
    [
      '$PLUGIN_DIR/..',
      { 'fs.read': { paths: ['$PLUGIN_DIR/../other-plugin'] } },
      ['filesystem.roots'],
    ],
    ['a relative path', { 'fs.read': { paths: ['data/x'] } }, ['filesystem.roots']],
    ['$PLUGIN_DIR not leading', { 'fs.read': { paths: ['/x/$PLUGIN_DIR'] } }, ['filesystem.roots']],
    ['$PLUGIN_DIRX', { 'fs.read': { paths: ['$PLUGIN_DIRX/a'] } }, ['filesystem.roots']],
    ['NUL', { 'fs.read': { paths: ['/srv/docs/a\u0000'] } }, ['filesystem.roots']],
    [
      "another plugin's directory",
      { 'fs.read': { paths: [`${DATA}/files/other-plugin`] } },
      ['filesystem.roots', 'protected_paths'],
    ],
    [
      'a look-alike of the own directory',
      { 'fs.read': { paths: [`${OWN}-evil`] } },
      ['filesystem.roots', 'protected_paths'],
    ],
    [
      'a symlink in the own dir into the data dir',
      { 'fs.read': { paths: ['$PLUGIN_DIR/link-to-data/executor.db'] } },
      ['filesystem.roots', 'protected_paths'],
    ],
    [
      "a symlink in the own dir into another plugin's",
      { 'fs.write': { paths: ['$PLUGIN_DIR/link-to-other'] } },
      ['filesystem.roots', 'protected_paths'],
    ],
    [
      'a symlink in a root out of it',
      { 'fs.read': { paths: ['/srv/docs/escape/shadow'] } },
      ['filesystem.roots'],
    ],
    [
      'a symlink to a root (as resolved)',
      { 'fs.read': { paths: ['/srv/alias/a'] } },
      ['filesystem.roots'],
    ],
    ['.env in a root', { 'fs.read': { paths: ['/srv/docs/.env'] } }, ['protected_paths']],
    [
      '.env.local in the own dir',
      { 'fs.read': { paths: ['$PLUGIN_DIR/.env.local'] } },
      ['protected_paths'],
    ],
    [
      'a symlink to a .env file',
      { 'fs.read': { paths: ['$PLUGIN_DIR/link-to-env'] } },
      ['filesystem.roots', 'protected_paths'],
    ],
    [
      '/proc',
      { 'fs.read': { paths: ['/proc/self/environ'] } },
      ['filesystem.roots', 'protected_paths'],
    ],
  ])('%s', (_name, permissions, expected) => {
    expect(rules(checkGrants(manifest(permissions), policy(), ctx))).toEqual(expected);
  });

  describe('under a policy root of /', () => {
    const everything = policy({
      filesystem: {
        roots: [{ path: '/', access: 'read-write' }],
        admin_required_outside_plugin_dir: true,
      },
      protected_paths: ['/etc/protected-link', '/root'],
    });
    it.each<[string, string[]]>([
      ['/', []], // allowed; host calls still refuse every path inside a protected root (fs-access.spec)
      ['/srv/anything', []],
      [`${DATA}/executor.db`, ['protected_paths']],
      ['/etc/convergio/policy.yaml', ['protected_paths']],
      ['/proc/self/mem', ['protected_paths']],
      ['/dev/sda', ['protected_paths']],
      ['/root/.ssh', ['protected_paths']], // the policy's protected_paths
      ['/srv/docs/secret/x', ['protected_paths']], // a protected path as it resolves
      [`${OWN}/data`, []],
    ])('%j → %j', (path, expected) => {
      expect(
        rules(checkGrants(manifest({ 'fs.write': { paths: [path] } }), everything, ctx)),
      ).toEqual(expected);
    });
  });

  it('reports every path, with a JSON pointer, the value as written and what to do', () => {
    const findings = checkGrants(
      manifest({
        'fs.read': { paths: ['$PLUGIN_DIR/ok', '/home/me'] },
        'fs.write': { paths: ['/srv/docs/x'] },
      }),
      policy(),
      ctx,
    );
    expect(findings).toEqual([
      {
        code: 'policy_violation',
        rule: 'filesystem.roots',
        path: '/permissions/fs.read/paths/1',
        value: '/home/me',
        message: expect.stringContaining('ask the operator'),
      },
      {
        code: 'policy_violation',
        rule: 'filesystem.roots',
        path: '/permissions/fs.write/paths/0',
        value: '/srv/docs/x',
        message: expect.stringContaining('read-write roots'),
      },
    ]);
  });

  it('shows where a symlinked path resolves', () => {
    const [finding] = checkGrants(
      manifest({ 'fs.read': { paths: ['/srv/docs/escape/x'] } }),
      policy(),
      ctx,
    );
    expect(finding.message).toContain('resolves to /etc/x');
  });
});

describe('checkGrants: permissions and limits', () => {
  it('refuses denied permissions, each with its pointer', () => {
    const strict = policy({
      permissions: { denied: ['proc.exec', 'telemetry.emit'], admin_required: [] },
    });
    const findings = checkGrants(
      manifest({
        'proc.exec': { binaries: ['/usr/bin/git'] },
        'telemetry.emit': {},
        'ui.embed': {},
      }),
      strict,
      ctx,
    );
    expect(findings.map((f) => [f.rule, f.path, f.value])).toEqual([
      ['permissions.denied', '/permissions/proc.exec', 'proc.exec'],
      ['permissions.denied', '/permissions/telemetry.emit', 'telemetry.emit'],
    ]);
  });

  it('the default policy denies proc.exec', () => {
    const findings = checkGrants(
      manifest({ 'proc.exec': { binaries: ['/bin/ls'] } }),
      DEFAULT_GRANT_POLICY,
      ctx,
    );
    expect(rules(findings)).toEqual(['permissions.denied']);
  });

  const capped = policy({
    limits: { max: { wall_time_ms: 30000, fuel: 1000, memory_pages: 16, max_host_calls: 10 } },
  });
  it.each<[PluginLimits, string[]]>([
    [{ wall_time_ms: 30000, fuel: 1000, memory_pages: 16, max_host_calls: 10 }, []], // at the cap
    [{}, []], // left out: the executor caps its defaults
    [{ wall_time_ms: 30001 }, ['limits.max.wall_time_ms']],
    [{ fuel: 1001, memory_pages: 17 }, ['limits.max.fuel', 'limits.max.memory_pages']],
    [
      { max_host_calls: 11, memory_pages: 65536 },
      ['limits.max.max_host_calls', 'limits.max.memory_pages'],
    ],
  ])('limits %j → %j', (limits, expected) => {
    expect(rules(checkGrants(manifest({}, limits), capped, ctx))).toEqual(expected);
  });

  it('a limit finding points at the limit and carries the value', () => {
    expect(checkGrants(manifest({}, { fuel: 5000 }), capped, ctx)).toEqual([
      {
        code: 'policy_violation',
        rule: 'limits.max.fuel',
        path: '/limits/fuel',
        value: '5000',
        message: expect.stringContaining('ask for 1000 or less'),
      },
    ]);
  });

  it('limits without caps are not checked', () => {
    expect(checkGrants(manifest({}, { fuel: 10 ** 12 }), policy(), ctx)).toEqual([]);
  });
});

describe('adminRequired', () => {
  it.each<[string, Permissions, Partial<GrantPolicy>, string[]]>([
    [
      'nothing outside the own dir',
      { 'fs.read': { paths: ['$PLUGIN_DIR/a'] }, 'ui.embed': {} },
      {},
      [],
    ],
    ['a read root', { 'fs.read': { paths: ['/srv/docs'] } }, {}, ['fs.read']],
    [
      'a symlink out of the own dir',
      { 'fs.write': { paths: ['$PLUGIN_DIR/link-to-other'] } },
      {},
      ['fs.write'],
    ],
    ['an unparsable path', { 'fs.read': { paths: ['x'] } }, {}, ['fs.read']],
    [
      'outside, but the policy does not ask',
      { 'fs.read': { paths: ['/srv/docs'] } },
      { filesystem: { roots: [], admin_required_outside_plugin_dir: false } },
      [],
    ],
    [
      'permissions.admin_required, in catalog order',
      { 'telemetry.emit': {}, 'fs.read': { paths: ['/srv/docs'] }, 'ui.embed': {} },
      { permissions: { denied: [], admin_required: ['telemetry.emit', 'fs.read'] } },
      ['fs.read', 'telemetry.emit'],
    ],
  ])('%s', (_name, permissions, overrides, expected) => {
    expect(
      adminRequired(manifest(permissions), policy(overrides), ctx).map((a) => a.permission),
    ).toEqual(expected);
  });

  it('joins the reasons of one permission', () => {
    const [only] = adminRequired(
      manifest({ 'fs.read': { paths: ['/srv/docs', '/srv/docs/b'] } }),
      policy({ permissions: { denied: [], admin_required: ['fs.read'] } }),
      ctx,
    );
    expect(only.reason).toContain('permissions.admin_required');
    expect(only.reason).toContain('/srv/docs, /srv/docs/b');
  });
});

describe('netPolicyFor', () => {
  const range = parseCidr('10.0.0.0/8');
  if (!range.ok) throw new Error(range.reason);
  const withNet = policy({
    network: {
      denied_hosts: ['a.example'],
      denied_host_suffixes: ['internal'],
      denied_cidrs: [range.value],
      private_network_plugins: ['local.tool'],
    },
  });

  it.each([
    ['a listed plugin', 'local.tool', false, true],
    ['any plugin with the global flag', 'my-plugin', true, true],
    ['an unlisted plugin', 'my-plugin', false, false],
  ])('%s: private networks %j', (_name, id, global, expected) => {
    expect(netPolicyFor(withNet, id, global).allowPrivateNetworks).toBe(expected);
  });

  it('carries the denials as plain JSON', () => {
    const net = netPolicyFor(withNet, 'my-plugin', false);
    expect(net.denied).toEqual({
      hosts: ['a.example'],
      suffixes: ['internal'],
      cidrs: [range.value],
    });
    expect(JSON.parse(JSON.stringify(net))).toEqual(net);
  });
});
