import { create, list, type ReadEntry } from 'tar';
import { inputError } from '../exit-codes.js';

/** More than any package the gateway takes (its default part limits sum to about 20 MiB). */
const MAX_TARBALL_BYTES = 256 * 1024 * 1024;
/** Every entry gets this time, so the same files make the same tarball and the same SHA-256. */
const FIXED_MTIME = new Date(0);

/** Writes `files` of `dir` (names at its root) to `out`, gzipped, without owners or times. */
export async function writePackageTarball(
  dir: string,
  files: readonly string[],
  out: string,
): Promise<void> {
  await create(
    { gzip: true, file: out, cwd: dir, portable: true, mtime: FIXED_MTIME, noDirRecurse: true },
    [...files],
  );
}

/**
 * The regular files of a tarball by path (`./` removed), read into memory. Other entries
 * (directories, links) are skipped; more than 256 MiB in all is refused.
 */
export async function readTarballFiles(file: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  let total = 0;
  let tooLarge = false;
  const onReadEntry = (entry: ReadEntry) => {
    total += entry.size;
    if (entry.type !== 'File' || total > MAX_TARBALL_BYTES) {
      tooLarge ||= total > MAX_TARBALL_BYTES;
      entry.resume();
      return;
    }
    const chunks: Buffer[] = [];
    entry.on('data', (chunk: Buffer) => chunks.push(chunk));
    entry.on('end', () => files.set(entry.path.replace(/^(\.\/)+/, ''), Buffer.concat(chunks)));
  };
  try {
    await list({ file, strict: true, onReadEntry });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT')
      throw inputError('file_not_found', `the package ${file} does not exist`, 'check the path');
    throw inputError(
      'package_unreadable',
      `${file} is not a readable .tgz: ${error instanceof Error ? error.message : String(error)}`,
      '`convergio pack <dir>` writes one',
    );
  }
  if (tooLarge)
    throw inputError(
      'package_too_large',
      `${file} unpacks to more than ${MAX_TARBALL_BYTES / 1024 / 1024} MiB`,
    );
  return files;
}
