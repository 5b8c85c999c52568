import type { HostError } from '@convergio/sandbox';

/** Error codes host functions return besides `permission_denied` (which only env.deny produces). */
export type HostErrorCode = 'not_found' | 'conflict' | 'io_error' | 'invalid_input' | 'internal';

/** A failure that is not a refusal: the plugin gets it as a normal result, nothing is recorded. */
export function hostError(code: HostErrorCode, message: string): HostError {
  return { error: { code, message } };
}

/** Maps a Node system error to a result without leaking host details. */
export function ioFailure(error: unknown): HostError {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return hostError('not_found', 'no such file or directory');
  if (code === 'EEXIST')
    return hostError('conflict', 'the file appeared while it was being created');
  if (code === 'EACCES' || code === 'EPERM')
    return hostError('io_error', 'the operating system refused access');
  return hostError('io_error', typeof code === 'string' ? `i/o error (${code})` : 'i/o error');
}

/** Runs a host function body so that it never throws into the plugin's worker. */
export function neverThrow<T>(body: () => T): T | HostError {
  try {
    return body();
  } catch (error) {
    return (error as NodeJS.ErrnoException)?.code
      ? ioFailure(error)
      : hostError('internal', 'host function failed');
  }
}
