import { readFile, writeFile } from 'node:fs/promises';
import { inputError } from './exit-codes.js';

/** Reads a file the user named; a missing or unreadable one is an input error naming it. */
export async function readLocalFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw fileError(error, path, what);
  }
}

/** Writes a file the user named (`flag: 'wx'` refuses to replace one). */
export async function writeLocalFile(
  path: string,
  data: string | Uint8Array,
  options: { mode?: number; flag?: string } = {},
): Promise<void> {
  try {
    await writeFile(path, data, options);
  } catch (error) {
    throw fileError(error, path, 'the output file');
  }
}

/** A failed file operation as an input error with a hint for the common causes. */
export function fileError(error: unknown, path: string, what: string) {
  const code = (error as { code?: string }).code ?? String(error);
  switch (code) {
    case 'ENOENT':
      return inputError('file_not_found', `${what} ${path} does not exist`, 'check the path');
    case 'EEXIST':
      return inputError(
        'file_exists',
        `${path} exists already`,
        'pass --force to replace it, or choose another path',
      );
    case 'EACCES':
    case 'EPERM':
      return inputError('file_not_permitted', `${what} ${path}: permission denied`);
    case 'EISDIR':
      return inputError('file_is_directory', `${what} ${path} is a directory`, 'name a file');
    default:
      return inputError('file_unreadable', `${what} ${path}: ${code}`);
  }
}
