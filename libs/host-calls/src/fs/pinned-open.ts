import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import type { FileIdentity } from '@convergio/policy';
import { statFacts, type EntryFacts } from './resolve-path.js';

const { O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_RDONLY } = constants;

/** What an open descriptor really is: its own path (from /proc/self/fd) and its fstat. */
export interface OpenedFacts extends EntryFacts {
  realPath: string;
  identity: FileIdentity;
}

/**
 * The path the kernel holds for a descriptor. /proc/self/fd is the only race-free way to ask
 * from Node (no openat, no F_GETPATH); without /proc this throws, and the call fails closed.
 */
function descriptorPath(fd: number): string {
  return readlinkSync(`/proc/self/fd/${fd}`);
}

export function descriptorFacts(fd: number): OpenedFacts {
  const stats = fstatSync(fd, { bigint: true });
  return {
    ...statFacts(stats),
    realPath: descriptorPath(fd),
    identity: { dev: stats.dev, ino: stats.ino },
  };
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The symlink at the last component was refused by O_NOFOLLOW, or a directory moved under us. */
export class RaceDetected extends Error {
  override readonly name = 'RaceDetected';
}

/** Opens a directory without following a final symlink and checks it is still `realDir`. */
export function openDirectory(realDir: string): number {
  let fd: number;
  try {
    fd = openSync(realDir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (error) {
    // With O_DIRECTORY, Linux reports a symlink as ENOTDIR rather than ELOOP.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || (code === 'ENOTDIR' && isSymlink(realDir))) {
      throw new RaceDetected('the directory is a symbolic link');
    }
    throw error;
  }
  try {
    if (descriptorPath(fd) !== realDir)
      throw new RaceDetected('the directory changed between check and open');
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/**
 * Opens `realPath` the way openat(2) would: the parent directory is opened and verified
 * first, then the entry is opened through `/proc/self/fd/<dir>/<name>`, so no component
 * of the path is looked up again by name. O_NOFOLLOW refuses a symlink at the entry (ELOOP),
 * O_NONBLOCK keeps a FIFO swapped in from blocking the worker. A file is therefore only
 * ever created or opened inside the directory that was checked.
 */
export function openInCheckedDirectory(realPath: string, flags: number, mode?: number): number {
  const name = posix.basename(realPath);
  if (name === '' || name === '.' || name === '..')
    throw new RaceDetected('not an entry of a directory');
  const dirFd = openDirectory(posix.dirname(realPath));
  try {
    return openSync(`/proc/self/fd/${dirFd}/${name}`, flags | O_NOFOLLOW | O_NONBLOCK, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new RaceDetected('the target is a symbolic link');
    }
    throw error;
  } finally {
    closeSync(dirFd);
  }
}
