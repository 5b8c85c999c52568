import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirInUseError, lockDataDir } from './data-dir-lock.js';

describe('lockDataDir', () => {
  let root: string;
  let dir: string;
  let other: ChildProcess;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cvg-lock-'));
    other = spawn('sleep', ['60']);
  });
  beforeEach(() => {
    dir = join(root, `pg-${Math.random().toString(36).slice(2)}`);
  });
  afterAll(async () => {
    other.kill();
    await rm(root, { recursive: true, force: true });
  });

  it('holds <dir>.lock with this pid until released', async () => {
    const lock = await lockDataDir(dir);
    expect(await readFile(`${dir}.lock`, 'utf8')).toBe(`${process.pid}\n`);
    await lock.release();
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });

  it('refuses a directory another live process holds, naming it, its pid and the way out', async () => {
    await writeFile(`${dir}.lock`, `${other.pid}\n`);
    const refusal = await lockDataDir(dir).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(DataDirInUseError);
    expect((refusal as Error).message).toBe(
      `${dir} is in use by process ${other.pid}: stop that platform first, or give this one another DATA_DIR (if no such process runs, delete ${dir}.lock)`,
    );
    expect(await readFile(`${dir}.lock`, 'utf8')).toBe(`${other.pid}\n`);
  });

  it.each([
    ['a process that is gone', async () => String(await exitedPid())],
    ['this very pid (a container started again)', () => Promise.resolve(String(process.pid))],
    ['no pid at all', () => Promise.resolve('')],
  ])('takes over a lock left by %s', async (_what, holder) => {
    await writeFile(`${dir}.lock`, `${await holder()}\n`);
    const lock = await lockDataDir(dir);
    expect(await readFile(`${dir}.lock`, 'utf8')).toBe(`${process.pid}\n`);
    await lock.release();
  });
});

/** The pid of a process that has exited. */
function exitedPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('true');
    child.on('error', reject);
    child.on('exit', () => resolve(child.pid!));
  });
}
