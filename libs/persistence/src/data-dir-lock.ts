import { open, readFile, unlink } from 'node:fs/promises';

/**
 * A second process on a data directory this process holds: the message names the directory,
 * the holder's pid and what to do.
 */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `${dir} is in use by process ${pid}: stop that platform first, or give this one another DATA_DIR (if no such process runs, delete ${lockPathOf(dir)})`,
    );
  }
}

/** The lock file of `dir`, beside it. */
const lockPathOf = (dir: string) => `${dir}.lock`;

/**
 * Holds `<dir>.lock` (created exclusively, holding this process's pid) until `release`. PGlite
 * takes no lock of its own: two processes on one directory each acknowledge writes that the
 * other then loses. A lock whose process is gone is taken over, as is one naming this very pid
 * (a container started again runs as the same pid 1).
 * @throws DataDirInUseError when a live process holds it
 */
export async function lockDataDir(dir: string): Promise<{ release(): Promise<void> }> {
  const path = lockPathOf(dir);
  for (let attempt = 0; ; attempt++) {
    try {
      const file = await open(path, 'wx');
      await file.writeFile(`${process.pid}\n`);
      await file.close();
      return { release: () => unlink(path).catch(() => undefined) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await holderOf(path);
    // Two tries: after a stale lock is removed, another process may win the race for it.
    if (attempt > 0 || (alive(holder) && holder !== process.pid))
      throw new DataDirInUseError(dir, holder);
    await unlink(path).catch(() => undefined);
  }
}

/**
 * Reads `<dir>.lock` without taking it, so that a start can be refused before it writes
 * anything: another platform running on `dir` is named before a port it also holds.
 * @throws DataDirInUseError when a live process other than this one holds it
 */
export async function assertDataDirFree(dir: string): Promise<void> {
  const holder = await holderOf(lockPathOf(dir));
  if (alive(holder) && holder !== process.pid) throw new DataDirInUseError(dir, holder);
}

/** The pid a lock file names (NaN when it is missing or unreadable). */
const holderOf = async (path: string) =>
  Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);

function alive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, and belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
