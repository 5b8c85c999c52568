import { execFileSync } from 'node:child_process';
import {
  linkSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real directory tree for the fs attack tests (test-only):
 *   allowed/            granted
 *     a.txt             "hello"
 *     sub/b.txt
 *     inner-link -> allowed/a.txt          (symlink inside the grant: fine to read)
 *     to-etc -> /etc                       (symlink escape)
 *     to-outside -> outside/secret.txt     (symlink escape)
 *     to-outside-dir -> outside            (directory symlink escape)
 *     env-link -> /proc/self/environ
 *     dangling -> outside/new.txt          (write through a dangling symlink)
 *     dangling-dir -> outside/missing-dir
 *     hard  == outside/secret.txt          (hard link to a file outside)
 *     fifo, sock                           (special files)
 *   allowed-evil/secret.txt                (prefix confusion)
 *   outside/secret.txt  "SECRET"
 *   grant-link -> allowed                  (a grant through a symlink)
 */
export interface FsFixture {
  root: string;
  allowed: string;
  outside: string;
  close: () => Promise<void>;
}

export async function createFsFixture(): Promise<FsFixture> {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'host-calls-fs-')));
  const allowed = join(root, 'allowed');
  const outside = join(root, 'outside');
  mkdirSync(join(allowed, 'sub'), { recursive: true });
  mkdirSync(join(outside, 'sub'), { recursive: true });
  mkdirSync(join(root, 'allowed-evil'));
  writeFileSync(join(allowed, 'a.txt'), 'hello');
  writeFileSync(join(allowed, 'sub', 'b.txt'), 'inside');
  writeFileSync(join(outside, 'secret.txt'), 'SECRET');
  writeFileSync(join(outside, 'sub', 'b.txt'), 'SECRET');
  writeFileSync(join(root, 'allowed-evil', 'secret.txt'), 'SECRET');
  symlinkSync(join(allowed, 'a.txt'), join(allowed, 'inner-link'));
  symlinkSync('/etc', join(allowed, 'to-etc'));
  symlinkSync(join(outside, 'secret.txt'), join(allowed, 'to-outside'));
  symlinkSync(outside, join(allowed, 'to-outside-dir'));
  symlinkSync('/proc/self/environ', join(allowed, 'env-link'));
  symlinkSync(join(outside, 'new.txt'), join(allowed, 'dangling'));
  symlinkSync(join(outside, 'missing-dir'), join(allowed, 'dangling-dir'));
  linkSync(join(outside, 'secret.txt'), join(allowed, 'hard'));
  execFileSync('/usr/bin/mkfifo', [join(allowed, 'fifo')]);
  symlinkSync(allowed, join(root, 'grant-link'));
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(join(allowed, 'sock'), resolve));
  return {
    root,
    allowed,
    outside,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
