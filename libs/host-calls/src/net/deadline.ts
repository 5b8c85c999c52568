import { cutMarked } from '@convergio/policy';

/** Why an operation stopped early: its own timeout, or the sandbox's signal (wall time, call ended). */
export class Stopped extends Error {
  constructor(readonly code: 'timeout' | 'aborted') {
    super(code === 'timeout' ? 'the operation timed out' : 'the operation was aborted');
  }
}

/**
 * One signal that fires on the op's AbortSignal or after `ms`, with a reason telling which;
 * `remainingMs` is what is left of `ms` (the op's signal may end it sooner).
 */
export function deadline(
  ms: number,
  outer: AbortSignal,
): { signal: AbortSignal; remainingMs: () => number; dispose: () => void } {
  const end = Date.now() + ms;
  const controller = new AbortController();
  const onAbort = () => controller.abort(new Stopped('aborted'));
  if (outer.aborted) onAbort();
  else outer.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new Stopped('timeout')), ms);
  return {
    signal: controller.signal,
    remainingMs: () => Math.max(0, end - Date.now()),
    dispose: () => {
      clearTimeout(timer);
      outer.removeEventListener('abort', onAbort);
    },
  };
}

/** The signal's abort reason as an Error (reasons are `any` and may be anything). */
export function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Stopped('aborted');
}

/**
 * The code to report for a failure: the deadline's when it fired, or when the failure came at or
 * past it (a resolver given the remaining time may give up just before the deadline's own timer
 * fires), else a network error.
 */
export function failureCode(
  error: unknown,
  { signal, remainingMs }: { signal: AbortSignal; remainingMs: () => number },
): { code: string; message: string } {
  const stopped =
    signal.reason instanceof Stopped
      ? signal.reason
      : error instanceof Stopped
        ? error
        : remainingMs() === 0
          ? new Stopped('timeout')
          : null;
  if (stopped) return { code: stopped.code, message: stopped.message };
  const err = error as { code?: unknown; message?: unknown } | null;
  const detail = typeof err?.code === 'string' ? `${err.code}` : String(err?.message ?? error);
  // The detail may name what the plugin sent (a host, a URL): marked where cut, as plugin text is.
  return { code: 'network_error', message: `network error: ${cutMarked(detail, 285)}` };
}
