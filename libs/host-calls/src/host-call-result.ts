import type { HostCallErrorCode } from '@convergio/contracts';
import type { HostError } from '@convergio/sandbox';

/**
 * A refusal a host function returns instead of recording it: the dispatcher files it under the
 * function's capability, records it (permission.denied) and hands the plugin a HostError.
 */
export class Refusal {
  constructor(
    readonly target: string,
    readonly reason: string,
  ) {}
}

/** Refuses the call: `target` is what the plugin asked for, `reason` why not. */
export const refuse = (target: string, reason: string): Refusal => new Refusal(target, reason);

/** What a step of a host function returns when the call stops there. */
export type HostCallFailure = HostError | Refusal;

/** A host function's answer: its result, or why it stopped. */
export type HostCallOutcome<T = unknown> = T | HostCallFailure;

/**
 * The answer of a host function that has nothing to return. Frozen, so the sandbox encodes it
 * once for every call that gets it.
 */
export const OK = Object.freeze({ ok: true as const });

/** True when a step's answer ends the call. */
export function isFailure(value: unknown): value is HostCallFailure {
  return (
    value instanceof Refusal || (typeof value === 'object' && value !== null && 'error' in value)
  );
}

/** A failure that is not a refusal: the plugin gets it as a normal result, nothing is recorded. */
export function hostError(code: HostCallErrorCode, message: string): HostError {
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
