import { capOutput, decideExec, decideExecCwd, type ExecFacts } from './exec-decision.js';
import { parseExecRequest } from './exec-request.js';

describe('parseExecRequest', () => {
  it('passes shell metacharacters through as data', () => {
    const result = parseExecRequest(
      { binary: '/bin/echo', args: ['; rm -rf /', '$(id)', '`id`', '| cat', '&&'] },
      10,
    );
    expect(result).toEqual({
      ok: true,
      value: { binary: '/bin/echo', args: ['; rm -rf /', '$(id)', '`id`', '| cat', '&&'] },
    });
  });

  it.each([
    [{ binary: 'echo', args: [] }, 'absolute'],
    [{ binary: '../bin/sh', args: [] }, 'absolute'],
    [{ binary: '/bin/echo\u0000', args: [] }, 'NUL'],
    [{ binary: '/bin/echo', args: ['a\u0000b'] }, 'NUL'],
    [{ binary: '/bin/echo', args: 'hello; id' }, 'array of strings'],
    [{ binary: '/bin/echo', args: [1] }, 'array of strings'],
    [{ binary: '/bin/echo', args: new Array(300).fill('a') }, 'more than'],
    [{ binary: '/bin/echo', args: ['x'.repeat(200_000)] }, 'exceed'],
    [{ binary: '/bin/echo', args: [], stdin: 'x'.repeat(11) }, 'stdin'],
    [{ binary: '/bin/echo', args: [], cwd: 5 }, 'cwd'],
    [null, 'object'],
  ])('refuses %#', (input, reason) => {
    const result = parseExecRequest(input, 10);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain(reason);
  });
});

describe('decideExec', () => {
  const base: ExecFacts = {
    trust: 'trusted',
    grants: [{ declared: '/bin/echo', real: '/usr/bin/echo' }],
    requestedReal: '/usr/bin/echo',
    writeRoots: [],
  };
  it.each<[string, Partial<ExecFacts>, string | null]>([
    ['a trusted plugin running its granted binary', {}, null],
    ['an official plugin', { trust: 'official' }, null],
    ['an untrusted plugin, even when granted', { trust: 'untrusted' }, 'untrusted'],
    ['no grant', { grants: undefined }, 'not granted'],
    ['a binary not on the list (/bin/sh)', { requestedReal: '/usr/bin/dash' }, 'allowlisted'],
    ['a binary that does not resolve', { requestedReal: null }, 'allowlisted'],
    [
      'a grant that does not resolve',
      { grants: [{ declared: '/opt/x', real: null }], requestedReal: '/opt/x' },
      'allowlisted',
    ],
    ['a binary the plugin may rewrite', { writeRoots: ['/usr/bin'] }, 'write'],
  ])('%s', (_name, overrides, reason) => {
    const decision = decideExec({ ...base, ...overrides });
    if (reason === null) expect(decision).toEqual({ allowed: true, grant: base.grants![0] });
    else expect(decision).toEqual({ allowed: false, reason: expect.stringContaining(reason) });
  });

  it('returns the matching grant, so argv[0] is the granted name (busybox applets)', () => {
    const grants = [{ declared: '/bin/ls', real: '/bin/busybox' }];
    expect(decideExec({ ...base, grants, requestedReal: '/bin/busybox' })).toEqual({
      allowed: true,
      grant: grants[0],
    });
  });
});

describe('decideExecCwd', () => {
  it.each([
    ['/data/work', 'directory', true],
    ['/etc', 'directory', false],
    ['/data-evil', 'directory', false],
    ['/proc/self', 'directory', false],
    ['/data/file', 'file', false],
  ] as const)('%s (%s) → %s', (cwd, kind, expected) => {
    expect(decideExecCwd(cwd, kind, ['/data', '/proc']).allowed).toBe(expected);
  });
});

describe('capOutput', () => {
  it('cuts and flags', () => {
    expect(capOutput(Buffer.from('abcdef'), 4)).toEqual({
      bytes: Buffer.from('abcd'),
      truncated: true,
    });
    expect(capOutput(Buffer.from('ab'), 4)).toEqual({ bytes: Buffer.from('ab'), truncated: false });
  });
});
