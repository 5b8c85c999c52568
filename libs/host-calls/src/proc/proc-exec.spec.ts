import { expectEventually } from '@convergio/testing';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Permissions, Trust } from '@convergio/contracts';
import type { OperatorPolicy } from '@convergio/sandbox';
import { expectDenied, fakeHost, type FakeHost } from '../fs/fake-host-environment.spec-helper.js';
import { bindHostFunctions } from '../dispatch.js';

let dir: string;
beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'host-calls-proc-')));
  mkdirSync(join(dir, 'work'));
  mkdirSync(join(dir, 'tools'));
  symlinkSync(process.execPath, join(dir, 'tools', 'granted-node'));
  symlinkSync(process.execPath, join(dir, 'tools', 'other-node'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function exec(
  binaries: string[] | null,
  input: unknown,
  options: { trust?: Trust; policy?: Partial<OperatorPolicy>; grants?: Permissions } = {},
): { host: FakeHost; result: Record<string, unknown> } {
  const grants: Permissions = {
    ...options.grants,
    ...(binaries ? { 'proc.exec': { binaries } } : {}),
  };
  const host = fakeHost({ grants, trust: options.trust ?? 'trusted', policy: options.policy });
  return { host, result: bindHostFunctions(host.env).proc_exec(input) as Record<string, unknown> };
}

const expectDeniedAs = (
  outcome: { host: FakeHost; result: unknown },
  target: string,
  reason: string,
) => expectDenied(outcome, 'proc.exec', target, reason);

describe('proc_exec', () => {
  it('runs an allowlisted binary for a trusted plugin', () => {
    expect(exec(['/usr/bin/echo'], { binary: '/usr/bin/echo', args: ['hi'] }).result).toEqual({
      exit_code: 0,
      signal: null,
      stdout: 'hi\n',
      stderr: '',
      timed_out: false,
      truncated: false,
    });
  });

  it('matches after realpath of both (/bin/echo granted, /usr/bin/echo requested)', () => {
    expect(exec(['/bin/echo'], { binary: '/usr/bin/echo', args: ['x'] }).result).toMatchObject({
      stdout: 'x\n',
    });
  });

  it('passes stdin', () => {
    expect(
      exec(['/usr/bin/cat'], { binary: '/usr/bin/cat', args: [], stdin: 'piped' }).result,
    ).toMatchObject({ stdout: 'piped' });
  });

  it('reports the exit code', () => {
    expect(exec(['/usr/bin/false'], { binary: '/usr/bin/false', args: [] }).result).toMatchObject({
      exit_code: 1,
    });
  });

  describe('attacks', () => {
    it('an untrusted plugin is refused even when proc.exec is granted', () => {
      expectDeniedAs(
        exec(['/usr/bin/echo'], { binary: '/usr/bin/echo', args: [] }, { trust: 'untrusted' }),
        '/usr/bin/echo',
        'untrusted',
      );
    });

    it('a plugin without proc.exec is refused', () => {
      expectDeniedAs(
        exec(null, { binary: '/usr/bin/echo', args: [] }),
        '/usr/bin/echo',
        'not granted',
      );
    });

    it.each(['/bin/sh', '/usr/bin/sh', '/bin/bash', '/usr/bin/env'])(
      'a binary that is not allowlisted (%s) is refused',
      (binary) => {
        expectDeniedAs(
          exec(['/usr/bin/echo'], { binary, args: ['-c', 'id'] }),
          binary,
          'allowlisted',
        );
      },
    );

    it('a relative binary is refused', () => {
      expectDeniedAs(exec(['/usr/bin/echo'], { binary: 'echo', args: [] }), 'echo', 'absolute');
    });

    it('a symlink to an allowlisted binary runs as the granted name (argv[0]), not as the name it was called by', () => {
      const granted = join(dir, 'tools', 'granted-node');
      const other = join(dir, 'tools', 'other-node');
      const outcome = exec([granted], {
        binary: other,
        args: ['-e', 'process.stdout.write(process.argv0)'],
      });
      expect(outcome.result).toMatchObject({ exit_code: 0, stdout: granted });
    });

    it("an allowlisted binary inside the plugin's own fs.write grant is refused", () => {
      const binary = join(dir, 'tools', 'granted-node');
      const outcome = exec(
        [binary],
        { binary, args: [] },
        { grants: { 'fs.write': { paths: ['/usr/bin', '/usr/local/bin', dir] } } },
      );
      expect(outcome.host.denials[0]?.reason).toContain('may write');
    });

    it('shell metacharacters are arguments, not commands', () => {
      const canary = join(dir, 'pwned');
      const args = [
        `; touch ${canary}`,
        `$(touch ${canary})`,
        `\`touch ${canary}\``,
        `&& touch ${canary}`,
        '| cat',
        '> /tmp/x',
        '*',
      ];
      const outcome = exec(['/usr/bin/echo'], { binary: '/usr/bin/echo', args });
      expect(outcome.result).toMatchObject({ exit_code: 0, stdout: args.join(' ') + '\n' });
      expect(existsSync(canary)).toBe(false);
    });

    it('; rm -rf / is a single argument', () => {
      expect(
        exec(['/usr/bin/echo'], { binary: '/usr/bin/echo', args: ['; rm -rf /'] }).result,
      ).toMatchObject({ stdout: '; rm -rf /\n' });
    });

    it('an argument with NUL is refused', () => {
      expectDeniedAs(
        exec(['/usr/bin/echo'], { binary: '/usr/bin/echo', args: ['a\u0000; id'] }),
        '/usr/bin/echo',
        'NUL',
      );
    });

    it('the environment is empty (no host secrets reach the process)', () => {
      process.env.CONVERGIO_TEST_SECRET = 'sk-should-never-leak';
      try {
        const outcome = exec(['/usr/bin/env'], { binary: '/usr/bin/env', args: [] });
        expect(outcome.result).toMatchObject({ exit_code: 0, stdout: '', stderr: '' });
      } finally {
        delete process.env.CONVERGIO_TEST_SECRET;
      }
    });

    it('a process that runs too long is killed, with its whole process group', async () => {
      const started = Date.now();
      // /bin/sh granted to a trusted plugin, only to start a background grandchild.
      const outcome = exec(
        ['/bin/sh'],
        { binary: '/bin/sh', args: ['-c', 'sleep 30 & echo $!; wait'] },
        { policy: { procTimeoutMs: 300 } },
      );
      expect(Date.now() - started).toBeLessThan(5000);
      expect(outcome.result).toMatchObject({ timed_out: true, exit_code: null, signal: 'SIGKILL' });
      const grandchild = Number(String(outcome.result.stdout).trim());
      expect(grandchild).toBeGreaterThan(0);
      // SIGKILL is delivered at once but the kernel may take a moment to reap the process.
      await expectEventually(
        () => {
          const state = existsSync(`/proc/${grandchild}/stat`)
            ? readFileSync(`/proc/${grandchild}/stat`, 'utf8').split(' ')[2]
            : 'gone';
          expect(['gone', 'Z', 'X']).toContain(state);
        },
        { timeoutMs: 2000 },
      );
    });

    it('a simple hang is killed at the timeout', () => {
      const outcome = exec(
        ['/usr/bin/sleep'],
        { binary: '/usr/bin/sleep', args: ['10'] },
        { policy: { procTimeoutMs: 200 } },
      );
      expect(outcome.result).toMatchObject({ timed_out: true });
    });

    it('output above policy.maxProcOutputBytes is truncated and flagged', () => {
      const outcome = exec(
        ['/usr/bin/yes'],
        { binary: '/usr/bin/yes', args: [] },
        { policy: { maxProcOutputBytes: 1000 } },
      );
      expect(outcome.result).toMatchObject({ truncated: true });
      expect(String(outcome.result.stdout)).toHaveLength(1000);
    });

    it('stdin above the cap is refused', () => {
      expectDeniedAs(
        exec(
          ['/usr/bin/cat'],
          { binary: '/usr/bin/cat', args: [], stdin: 'x'.repeat(20) },
          { policy: { maxProcOutputBytes: 10 } },
        ),
        '/usr/bin/cat',
        'stdin',
      );
    });

    it('a cwd outside the fs grants is refused', () => {
      expectDeniedAs(
        exec(['/usr/bin/pwd'], { binary: '/usr/bin/pwd', args: [], cwd: '/etc' }),
        '/usr/bin/pwd',
        'cwd is outside',
      );
    });

    it('a cwd with traversal is refused', () => {
      const cwd = `${dir}/work/../..`;
      expectDeniedAs(
        exec(
          ['/usr/bin/pwd'],
          { binary: '/usr/bin/pwd', args: [], cwd },
          { grants: { 'fs.read': { paths: [`${dir}/work`] } } },
        ),
        '/usr/bin/pwd',
        '".."',
      );
    });

    it('a cwd inside /proc is refused even with fs.read of /', () => {
      expectDeniedAs(
        exec(
          ['/usr/bin/pwd'],
          { binary: '/usr/bin/pwd', args: [], cwd: '/proc/self' },
          { grants: { 'fs.read': { paths: ['/'] } } },
        ),
        '/usr/bin/pwd',
        '/proc',
      );
    });

    it('a cwd inside the fs grants is used', () => {
      const outcome = exec(
        ['/usr/bin/pwd'],
        { binary: '/usr/bin/pwd', args: ['-P'], cwd: `${dir}/work` },
        { grants: { 'fs.read': { paths: [`${dir}/work`] } } },
      );
      expect(outcome.result).toMatchObject({ exit_code: 0, stdout: `${dir}/work\n` });
    });

    it('without cwd the process starts in a fresh empty directory, removed afterwards', () => {
      const outcome = exec(['/usr/bin/pwd'], { binary: '/usr/bin/pwd', args: ['-P'] });
      const cwd = String(outcome.result.stdout).trim();
      expect(cwd).toContain('convergio-exec-');
      expect(existsSync(cwd)).toBe(false);
    });

    it.each([[null], [{ binary: '/usr/bin/echo', args: 'hi; id' }], [{ binary: 42 }]])(
      'malformed input %j is refused, never thrown',
      (input) => {
        const outcome = exec(['/usr/bin/echo'], input);
        expect(outcome.result).toMatchObject({ error: { code: 'permission_denied' } });
        expect(outcome.host.denials).toHaveLength(1);
      },
    );
  });
});
