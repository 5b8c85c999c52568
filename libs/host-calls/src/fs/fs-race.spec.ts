import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import {
  constants,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { fakeHost } from './fake-host-environment.spec-helper.js';
import { createFsFixture, type FsFixture } from './fs-fixture.spec-helper.js';
import { openDirectory, openInCheckedDirectory, RaceDetected } from './pinned-open.js';

// Hook between check and use: lstatFacts is the last thing the host does before it opens.
const actual = await import('./resolve-path.js');
let afterCheck: (() => void) | null = null;
jest.unstable_mockModule('./resolve-path.js', () => ({
  ...actual,
  lstatFacts: (path: string) => {
    const facts = actual.lstatFacts(path);
    const hook = afterCheck;
    afterCheck = null;
    hook?.();
    return facts;
  },
}));
const { bindHostFunctions } = await import('../dispatch.js');

let fx: FsFixture;
beforeAll(async () => {
  fx = await createFsFixture();
});
afterAll(() => fx.close());

/** Replaces `path` (a directory) by a symlink to `to`, atomically, as an attacker would. */
function swapForSymlink(path: string, to: string): void {
  symlinkSync(to, `${path}.link`);
  renameSync(path, `${path}.orig`);
  renameSync(`${path}.link`, path);
}

describe('time of check to time of use', () => {
  describe('pinned opens', () => {
    it('O_NOFOLLOW refuses a symlink at the final component', () => {
      expect(() => openInCheckedDirectory(`${fx.allowed}/to-outside`, constants.O_RDONLY)).toThrow(
        RaceDetected,
      );
      expect(() => openDirectory(`${fx.allowed}/to-outside-dir`)).toThrow(RaceDetected);
    });

    it('a parent directory swapped for a symlink after the check does not let the open escape', () => {
      mkdirSync(`${fx.allowed}/swap1`);
      writeFileSync(`${fx.allowed}/swap1/secret.txt`, 'inside');
      swapForSymlink(`${fx.allowed}/swap1`, fx.outside);
      expect(() =>
        openInCheckedDirectory(`${fx.allowed}/swap1/secret.txt`, constants.O_RDONLY),
      ).toThrow(RaceDetected);
    });

    it('a directory higher up swapped for a symlink is caught by the descriptor path check', () => {
      mkdirSync(`${fx.allowed}/swap2/sub`, { recursive: true });
      swapForSymlink(`${fx.allowed}/swap2`, fx.outside);
      // outside/sub/b.txt exists: the open itself would succeed; /proc/self/fd says where it went.
      expect(() =>
        openInCheckedDirectory(`${fx.allowed}/swap2/sub/b.txt`, constants.O_RDONLY),
      ).toThrow(/changed between check and open/);
    });
  });

  describe('swaps injected between the check and the open', () => {
    const bind = () => {
      const host = fakeHost({
        grants: { 'fs.read': { paths: [fx.allowed] }, 'fs.write': { paths: [fx.allowed] } },
      });
      return { host, fns: bindHostFunctions(host.env) };
    };

    it('fs_read: the file replaced by a symlink to a file outside', () => {
      const path = `${fx.allowed}/swap-file.txt`;
      writeFileSync(path, 'inside');
      const { host, fns } = bind();
      afterCheck = () => {
        renameSync(path, `${path}.orig`);
        symlinkSync(`${fx.outside}/secret.txt`, path);
      };
      expect(fns.fs_read({ path })).toMatchObject({
        error: { code: 'permission_denied', capability: 'fs.read', target: path },
      });
      expect(host.denials).toEqual([
        { capability: 'fs.read', target: path, reason: 'the target is a symbolic link' },
      ]);
    });

    it('fs_read: the file replaced by another file (inode changed)', () => {
      const path = `${fx.allowed}/swap-inode.txt`;
      writeFileSync(path, 'checked');
      const { host, fns } = bind();
      afterCheck = () => {
        writeFileSync(`${path}.new`, 'other');
        renameSync(`${path}.new`, path);
      };
      expect(fns.fs_read({ path })).toMatchObject({ error: { code: 'permission_denied' } });
      expect(host.denials[0].reason).toBe('the file changed between check and open');
    });

    it('fs_read: the parent directory replaced by a symlink to outside', () => {
      mkdirSync(`${fx.allowed}/swap3/sub`, { recursive: true });
      writeFileSync(`${fx.allowed}/swap3/sub/b.txt`, 'inside');
      const path = `${fx.allowed}/swap3/sub/b.txt`;
      const { host, fns } = bind();
      afterCheck = () => swapForSymlink(`${fx.allowed}/swap3`, fx.outside);
      expect(fns.fs_read({ path })).toMatchObject({ error: { code: 'permission_denied' } });
      expect(host.denials[0].reason).toBe('the directory changed between check and open');
    });

    it('fs_write: a new file whose name becomes a symlink is not created through it', () => {
      const path = `${fx.allowed}/swap-new.txt`;
      const { host, fns } = bind();
      afterCheck = () => symlinkSync(`${fx.outside}/created-by-race.txt`, path);
      expect(fns.fs_write({ path, content: 'x' })).toMatchObject({
        error: { code: expect.any(String) },
      });
      expect(existsSync(`${fx.outside}/created-by-race.txt`)).toBe(false);
      expect(host.denials[0]?.reason ?? 'conflict').toMatch(/symbolic link|conflict/);
    });

    it('fs_write: an existing file swapped for a hard link to a file outside is neither truncated nor written', () => {
      const path = `${fx.allowed}/swap-hard.txt`;
      writeFileSync(path, 'inside');
      const { host, fns } = bind();
      afterCheck = () => {
        renameSync(path, `${path}.orig`);
        linkSync(`${fx.outside}/secret.txt`, path); // O_NOFOLLOW cannot see this one; the inode check does
      };
      expect(fns.fs_write({ path, content: 'pwned' })).toMatchObject({
        error: { code: 'permission_denied' },
      });
      expect(readFileSync(`${fx.outside}/secret.txt`, 'utf8')).toBe('SECRET');
      expect(host.denials).toHaveLength(1);
    });

    it('fs_write: the parent directory swapped for a symlink creates nothing outside', () => {
      mkdirSync(`${fx.allowed}/swap4`);
      const path = `${fx.allowed}/swap4/new.txt`;
      const { host, fns } = bind();
      afterCheck = () => swapForSymlink(`${fx.allowed}/swap4`, fx.outside);
      expect(fns.fs_write({ path, content: 'x' })).toMatchObject({
        error: { code: 'permission_denied' },
      });
      expect(existsSync(`${fx.outside}/new.txt`)).toBe(false);
      expect(host.denials[0].reason).toMatch(/directory/);
    });
  });

  it('a concurrent attacker flipping a directory and a file to symlinks never gets outside content read', async () => {
    mkdirSync(`${fx.allowed}/flip-dir`);
    writeFileSync(`${fx.allowed}/flip-dir/b.txt`, 'inside');
    mkdirSync(`${fx.outside}/flip-dir`);
    writeFileSync(`${fx.outside}/flip-dir/b.txt`, 'SECRET');
    writeFileSync(`${fx.allowed}/flip-file`, 'inside');
    // The attacker: a separate process swapping, as fast as it can, real entries for symlinks outside.
    const attacker = spawn(process.execPath, [
      '-e',
      `const fs = require('fs'); const a = ${JSON.stringify(fx.allowed)}, o = ${JSON.stringify(fx.outside)};
       fs.symlinkSync(o + '/flip-dir', a + '/flip-dir.evil'); fs.symlinkSync(o + '/secret.txt', a + '/flip-file.evil');
       fs.renameSync(a + '/flip-dir', a + '/flip-dir.good'); fs.renameSync(a + '/flip-file', a + '/flip-file.good');
       const end = Date.now() + 1500;
       while (Date.now() < end) {
         for (const n of ['flip-dir', 'flip-file']) {
           try { fs.renameSync(a + '/' + n + '.evil', a + '/' + n); fs.renameSync(a + '/' + n, a + '/' + n + '.evil'); } catch {}
           try { fs.renameSync(a + '/' + n + '.good', a + '/' + n); fs.renameSync(a + '/' + n, a + '/' + n + '.good'); } catch {}
         }
       }`,
    ]);
    const exited = new Promise((resolve) => attacker.on('exit', resolve));
    const host = fakeHost({ grants: { 'fs.read': { paths: [fx.allowed] } } });
    const { fs_read } = bindHostFunctions(host.env);
    const outcomes = new Map<string, number>();
    const started = Date.now();
    while (Date.now() - started < 1200) {
      for (const path of [`${fx.allowed}/flip-dir/b.txt`, `${fx.allowed}/flip-file`]) {
        const result = fs_read({ path }) as {
          content?: string;
          error?: { code: string; message: string };
        };
        expect(result.content ?? '').not.toContain('SECRET');
        const key =
          result.content !== undefined
            ? 'read inside'
            : `${result.error!.code}: ${result.error!.message}`;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await exited;
    // Which guard fired how often (informative: timing decides the mix).
    console.info(Object.fromEntries(outcomes));
  });
});
