import { readFileSync } from 'node:fs';
import { DEFAULT_GRANT_POLICY, GrantPolicyError, type GrantPolicy } from './grant-policy.js';
import { parseGrantPolicy } from './parse-grant-policy.js';

const problemsOf = (text: string, fileName = 'policy.yaml'): readonly string[] => {
  try {
    parseGrantPolicy(text, fileName);
  } catch (error) {
    if (error instanceof GrantPolicyError) return error.problems;
    throw error;
  }
  throw new Error('the policy parsed');
};

describe('parseGrantPolicy: the shipped example', () => {
  const example = readFileSync(
    new URL('../../../../deploy/grant-policy.example.yaml', import.meta.url),
    'utf8',
  );

  it('parses, normalised', () => {
    const policy = parseGrantPolicy(example, 'grant-policy.example.yaml');
    expect(policy).toEqual<GrantPolicy>({
      filesystem: {
        roots: [
          { path: '/srv/shared-docs', access: 'read' },
          { path: '/srv/exports', access: 'read-write' },
        ],
        admin_required_outside_plugin_dir: true,
      },
      network: {
        denied_hosts: ['metadata.google.internal', '169.254.169.254'],
        denied_host_suffixes: ['internal', 'corp.example.com'],
        denied_cidrs: [
          { cidr: '10.0.0.0/8', family: 4, bytes: [10, 0, 0, 0], bits: 8 },
          { cidr: 'fd00::/8', family: 6, bytes: [0xfd, ...Array<number>(15).fill(0)], bits: 8 },
        ],
        private_network_plugins: ['example.local-tool'],
      },
      permissions: { denied: ['proc.exec'], admin_required: ['telemetry.emit'] },
      limits: {
        max: { wall_time_ms: 30000, fuel: 1000000000, memory_pages: 1024, max_host_calls: 10000 },
      },
      protected_paths: ['/etc/convergio'],
    });
  });

  it('is plain JSON (it crosses into worker threads)', () => {
    const policy = parseGrantPolicy(example, 'grant-policy.example.yaml');
    expect(JSON.parse(JSON.stringify(policy))).toEqual(policy);
  });
});

describe('parseGrantPolicy: formats and defaults', () => {
  it.each([
    ['an empty YAML file', '', 'p.yaml'],
    ['a comment-only YAML file', '# nothing yet\n', 'p.yml'],
    ['an empty JSON object', '{}', 'p.json'],
    ['an upper-case extension', '{}', 'P.JSON'],
  ])('%s is the default policy', (_name, text, file) => {
    expect(parseGrantPolicy(text, file)).toEqual(DEFAULT_GRANT_POLICY);
  });

  it('keeps the default of every key left out, and an explicit empty list lifts it', () => {
    const policy = parseGrantPolicy('network: { denied_hosts: [a.example] }', 'p.yaml');
    expect(policy.permissions.denied).toEqual(['proc.exec']);
    expect(policy.filesystem.admin_required_outside_plugin_dir).toBe(true);
    expect(parseGrantPolicy('{"permissions":{"denied":[]}}', 'p.json').permissions.denied).toEqual(
      [],
    );
  });

  it('reads JSON and YAML alike', () => {
    const yaml = parseGrantPolicy('limits:\n  max:\n    fuel: 5\n', 'p.yaml');
    const json = parseGrantPolicy('{"limits":{"max":{"fuel":5}}}', 'p.json');
    expect(yaml).toEqual(json);
  });

  it.each([
    [
      'hosts: case, trailing dot, punycode',
      'network:\n  denied_hosts: [METADATA.Google.Internal., bücher.example]',
      ['metadata.google.internal', 'xn--bcher-kva.example'],
    ],
    [
      'IP literals in canonical form',
      'network:\n  denied_hosts: ["[::FFFF:7f00:1]", 0x7f.1]',
      ['::ffff:7f00:1', '127.0.0.1'],
    ],
  ])('normalises %s', (_name, text, hosts) => {
    expect(parseGrantPolicy(text, 'p.yaml').network.denied_hosts).toEqual(hosts);
  });

  it('canonicalises paths (trailing slash, double slash, dot)', () => {
    const policy = parseGrantPolicy(
      'filesystem: { roots: [{ path: "/srv//docs/./", access: read }] }\nprotected_paths: [/etc/convergio/]',
      'p.yaml',
    );
    expect(policy.filesystem.roots).toEqual([{ path: '/srv/docs', access: 'read' }]);
    expect(policy.protected_paths).toEqual(['/etc/convergio']);
  });
});

describe('parseGrantPolicy: problems', () => {
  it.each([
    ['an unknown extension', '{}', 'policy.toml', 'must end in .json, .yaml or .yml'],
    ['no extension', '{}', 'policy', 'must end in'],
    ['JSON syntax', '{"filesystem": ', 'p.json', 'JSON syntax'],
    ['YAML syntax', 'network: [a,\n', 'p.yaml', 'YAML'],
    ['a duplicate YAML key', 'permissions: {}\npermissions: {}\n', 'p.yaml', 'unique'],
    [
      'a duplicate JSON key',
      '{"permissions":{"denied":[]},"permissions":{}}',
      'p.json',
      'line 1: duplicate key "permissions"',
    ],
    [
      'a duplicate nested JSON key',
      '{\n"limits":{"max":{"fuel":1,\n"fuel":2}}}',
      'p.json',
      'line 3: duplicate key "fuel"',
    ],
    ['several YAML documents', 'a: 1\n---\nb: 2\n', 'p.yaml', 'YAML'],
    ['an unknown YAML tag', 'protected_paths: [!foo /x]', 'p.yaml', 'Unresolved tag'],
    ['a top-level list', '[]', 'p.json', '/: must be object'],
    ['an unknown top-level key', 'filesystems: {}', 'p.yaml', '/filesystems: unknown key'],
    [
      'an unknown nested key',
      'network: { denied_host: [x.example] }',
      'p.yaml',
      '/network/denied_host: unknown key',
    ],
    [
      'an unknown access',
      'filesystem: { roots: [{ path: /srv, access: write }] }',
      'p.yaml',
      '/filesystem/roots/0/access',
    ],
    [
      'a missing access',
      'filesystem: { roots: [{ path: /srv }] }',
      'p.yaml',
      '/filesystem/roots/0/access',
    ],
    [
      'a string boolean',
      'filesystem: { admin_required_outside_plugin_dir: "no" }',
      'p.yaml',
      '/filesystem/admin_required_outside_plugin_dir: must be boolean',
    ],
    [
      'an unknown permission',
      'permissions: { denied: [proc.exe] }',
      'p.yaml',
      '/permissions/denied/0: "proc.exe": unknown permission',
    ],
    [
      'a relative root',
      'filesystem: { roots: [{ path: srv/docs, access: read }] }',
      'p.yaml',
      '/filesystem/roots/0/path: "srv/docs": path must be absolute',
    ],
    [
      'a root with ..',
      'filesystem: { roots: [{ path: /srv/../etc, access: read }] }',
      'p.yaml',
      '".."',
    ],
    [
      'a root with NUL',
      '{"filesystem":{"roots":[{"path":"/srv\\u0000x","access":"read"}]}}',
      'p.json',
      'NUL',
    ],
    [
      'a root inside /proc',
      'filesystem: { roots: [{ path: /proc/self, access: read }] }',
      'p.yaml',
      '/proc, /sys or /dev',
    ],
    [
      'a root twice with different access',
      'filesystem: { roots: [{ path: /srv, access: read }, { path: /srv/, access: read-write }] }',
      'p.yaml',
      'listed twice',
    ],
    ['a relative protected path', 'protected_paths: [etc]', 'p.yaml', '/protected_paths/0'],
    [
      'a protected path with a control character',
      '{"protected_paths":["/etc/\\nx"]}',
      'p.json',
      'control',
    ],
    [
      'a wildcard host',
      'network: { denied_hosts: ["*.example.com"] }',
      'p.yaml',
      'use denied_host_suffixes',
    ],
    [
      'a host with a path',
      'network: { denied_hosts: [evil.example/x] }',
      'p.yaml',
      'not a host name',
    ],
    [
      'a host with a port',
      'network: { denied_hosts: ["a.example:80"] }',
      'p.yaml',
      'not a host name',
    ],
    ['a host with an empty label', 'network: { denied_hosts: [a..example] }', 'p.yaml', 'not a'],
    [
      'a suffix with a leading dot',
      'network: { denied_host_suffixes: [.internal] }',
      'p.yaml',
      'without a leading',
    ],
    [
      'an IP as a suffix',
      'network: { denied_host_suffixes: [10.0.0.1] }',
      'p.yaml',
      'not a suffix',
    ],
    ['a CIDR without prefix', 'network: { denied_cidrs: [10.0.0.0] }', 'p.yaml', 'address/prefix'],
    [
      'an IPv4 prefix too long',
      'network: { denied_cidrs: [10.0.0.0/33] }',
      'p.yaml',
      'invalid prefix',
    ],
    [
      'an IPv6 prefix too long',
      'network: { denied_cidrs: ["fd00::/129"] }',
      'p.yaml',
      'invalid prefix',
    ],
    [
      'host bits set',
      'network: { denied_cidrs: [10.0.0.1/8] }',
      'p.yaml',
      'did you mean 10.0.0.0/8',
    ],
    ['an octal-looking quad', 'network: { denied_cidrs: [010.0.0.0/8] }', 'p.yaml', 'IP address'],
    ['a CIDR of a name', 'network: { denied_cidrs: [example.com/8] }', 'p.yaml', 'IP address'],
    [
      'a bad plugin id',
      'network: { private_network_plugins: [Bad_Id] }',
      'p.yaml',
      '/network/private_network_plugins/0',
    ],
    ['a zero limit', 'limits: { max: { fuel: 0 } }', 'p.yaml', '/limits/max/fuel: must be >= 1'],
    [
      'a negative limit',
      'limits: { max: { wall_time_ms: -5 } }',
      'p.yaml',
      '/limits/max/wall_time_ms',
    ],
    ['a fractional limit', 'limits: { max: { max_host_calls: 1.5 } }', 'p.yaml', 'must be integer'],
    ['a string limit', 'limits: { max: { fuel: "1000" } }', 'p.yaml', 'must be integer'],
    [
      'too many memory pages',
      'limits: { max: { memory_pages: 65537 } }',
      'p.yaml',
      '/limits/max/memory_pages',
    ],
    ['an unknown limit', 'limits: { max: { cpu: 1 } }', 'p.yaml', '/limits/max/cpu: unknown key'],
  ])('%s', (_name, text, file, problem) => {
    expect(problemsOf(text, file).join('\n')).toContain(problem);
  });

  it('lists every problem at once, and the message names the file', () => {
    const text = [
      'filesystem:',
      '  roots: [{ path: relative, access: read }]',
      '  extra: 1',
      'network:',
      '  denied_hosts: ["*.x.example"]',
      '  denied_cidrs: [10.0.0.0/33, "::1/200"]',
      'permissions: { denied: [proc.exe, fs.read, nope] }',
      'limits: { max: { fuel: 0 } }',
      'protected_paths: [/a/../b]',
    ].join('\n');
    let error: unknown;
    try {
      parseGrantPolicy(text, '/etc/convergio/policy.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GrantPolicyError);
    const { problems, message, code } = error as GrantPolicyError;
    expect(code).toBe('validation_failed');
    expect(problems.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining([
        '/filesystem/extra',
        '/limits/max/fuel',
        '/filesystem/roots/0/path',
        '/network/denied_hosts/0',
        '/network/denied_cidrs/0',
        '/network/denied_cidrs/1',
        '/permissions/denied/0',
        '/permissions/denied/2',
        '/protected_paths/0',
      ]),
    );
    expect(problems).toHaveLength(9);
    expect(message).toContain('/etc/convergio/policy.yaml');
    for (const problem of problems) expect(message).toContain(problem);
  });

  it('stops a YAML alias bomb', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from({ length: 8 }, (_, i) => {
        const prev = i === 0 ? 'a' : `l${i - 1}`;
        return `l${i}: &l${i} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`;
      }),
    ].join('\n');
    expect(problemsOf(bomb).join('\n')).toMatch(/YAML/);
  });
});
