import type { Manifest, Permissions } from '@convergio/contracts';
import { parseCidr } from '../net/cidr.js';
import { checkGrants } from './check-grants.js';
import { DEFAULT_GRANT_POLICY, type GrantPolicy } from './grant-policy.js';

const manifest = (permissions: Permissions): Manifest => ({
  id: 'my-plugin',
  name: 'My plugin',
  version: '1.0.0',
  author: 'a',
  license: 'MIT',
  min_core_version: '0.1.0',
  entrypoint: 'plugin.wasm',
  capabilities: {},
  permissions,
  signing: { sha256: '0'.repeat(64) },
});
const cidr = (text: string) => {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
};
const policy: GrantPolicy = {
  ...DEFAULT_GRANT_POLICY,
  network: {
    denied_hosts: [
      'metadata.google.internal',
      'internal.example.com',
      'xn--bcher-kva.example',
      '203.0.113.7',
    ],
    denied_host_suffixes: ['corp.acme.org', 'local'],
    denied_cidrs: [cidr('10.0.0.0/8'), cidr('fd00::/8')],
    private_network_plugins: [],
  },
};
const ctx = {
  pluginId: 'my-plugin',
  pluginDir: '/p',
  protection: { roots: [], ownDir: '/p' },
  realPath: (p: string) => p,
};
const http = (host: string): Permissions => ({
  'net.http': { rules: [{ host, methods: ['GET'] }] },
});
const check = (permissions: Permissions) => checkGrants(manifest(permissions), policy, ctx);

describe('checkGrants: net.http hosts', () => {
  it.each<[string, string[]]>([
    ['api.example.com', []],
    ['metadata.google.internal', ['network.denied_hosts']],
    ['METADATA.Google.Internal.', ['network.denied_hosts']], // case and trailing dot
    ['internal.example.com', ['network.denied_hosts']],
    ['bücher.example', ['network.denied_hosts']], // punycode of a denied name
    ['BÜCHER.example', ['network.denied_hosts']],
    ['corp.acme.org', ['network.denied_host_suffixes']],
    ['git.corp.acme.org', ['network.denied_host_suffixes']],
    ['evilcorp.acme.org', []], // whole labels
    ['printer.local', ['network.denied_host_suffixes']],
    ['*.example.com', ['network.denied_hosts']], // covers internal.example.com
    ['*.acme.org', ['network.denied_host_suffixes']], // covers corp.acme.org
    ['*.org', ['network.denied_host_suffixes']],
    ['*.corp.acme.org', ['network.denied_host_suffixes']], // under a denied suffix
    ['*.x.corp.acme.org', ['network.denied_host_suffixes']],
    ['*.internal.example.com', ['network.denied_hosts']], // subdomains of a denied host
    ['*.local', ['network.denied_host_suffixes']],
    ['*.other.example.com', []],
    ['*.google.internal', ['network.denied_hosts']],
    ['203.0.113.7', ['network.denied_hosts']],
    ['::ffff:203.0.113.7', ['network.denied_hosts']],
    ['10.1.2.3', ['network.denied_cidrs']],
    ['::ffff:10.1.2.3', ['network.denied_cidrs']], // IPv4-mapped IPv6
    ['[::ffff:a01:203]', ['network.denied_cidrs']],
    ['0x0a010203', ['network.denied_cidrs']], // 10.1.2.3 in hex
    ['fd00:ec2::254', ['network.denied_cidrs']],
    ['11.0.0.1', []],
    ['not a host/', []], // grants nothing; not this check's business
  ])('%j → %j', (host, expected) => {
    expect(check(http(host)).map((f) => f.rule)).toEqual(expected);
  });

  it('says that a wildcard covers a denied host, and points at the rule host', () => {
    expect(check(http('*.example.com'))).toEqual([
      {
        code: 'policy_violation',
        rule: 'network.denied_hosts',
        path: '/permissions/net.http/rules/0/host',
        value: '*.example.com',
        message: expect.stringMatching(/covers internal\.example\.com.*denies/),
      },
    ]);
  });

  it('reports one finding per denied entry a wildcard covers', () => {
    const wide: GrantPolicy = {
      ...policy,
      network: {
        ...policy.network,
        denied_hosts: ['a.example.com'],
        denied_host_suffixes: ['b.example.com'],
      },
    };
    const findings = checkGrants(manifest(http('*.example.com')), wide, ctx);
    expect(findings.map((f) => f.rule)).toEqual([
      'network.denied_hosts',
      'network.denied_host_suffixes',
    ]);
  });
});

describe('checkGrants: net.websocket hosts', () => {
  it.each<[string, string[]]>([
    ['chat.example.com', []],
    ['wss://internal.example.com:8443', ['network.denied_hosts']],
    ['ws://INTERNAL.example.com.', ['network.denied_hosts']],
    ['*.example.com', ['network.denied_hosts']],
    ['wss://[::ffff:10.0.0.1]:443', ['network.denied_cidrs']],
    ['10.0.0.1:9000', ['network.denied_cidrs']],
    ['wss://a.corp.acme.org', ['network.denied_host_suffixes']],
    ['wss://bad/path', []], // malformed: grants nothing
  ])('%j → %j', (entry, expected) => {
    expect(check({ 'net.websocket': { hosts: [entry] } }).map((f) => f.rule)).toEqual(expected);
  });

  it('points at the entry and keeps the value as written', () => {
    const [finding] = check({
      'net.websocket': { hosts: ['ok.example.net', 'wss://Internal.Example.com:8443'] },
    });
    expect(finding).toMatchObject({
      path: '/permissions/net.websocket/hosts/1',
      value: 'wss://Internal.Example.com:8443',
    });
  });
});

it('reports violations of every kind together', () => {
  const findings = check({
    'net.http': {
      rules: [
        { host: 'metadata.google.internal', methods: ['GET'] },
        { host: '10.0.0.1', methods: ['GET'] },
      ],
    },
    'net.websocket': { hosts: ['x.local'] },
    'proc.exec': { binaries: ['/bin/sh'] },
  });
  expect(findings.map((f) => f.rule)).toEqual([
    'permissions.denied',
    'network.denied_hosts',
    'network.denied_cidrs',
    'network.denied_host_suffixes',
  ]);
});
