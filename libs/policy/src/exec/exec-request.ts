import { fail, succeed, type Outcome } from '@convergio/contracts';

/** A proc_exec call as the plugin sent it, checked for shape. */
export interface ExecRequest {
  binary: string;
  args: string[];
  cwd?: string;
  stdin?: string;
}

/** Most arguments one call may pass. */
export const MAX_EXEC_ARGS = 256;
/** Most bytes of all arguments together (Linux refuses one argument above 128 KiB). */
export const MAX_EXEC_ARG_BYTES = 128 * 1024;

const hasNul = (s: string): boolean => s.includes('\u0000');

/**
 * Checks the shape of a proc_exec input. Arguments are data, never parsed: `; rm -rf /`
 * is passed to the binary as one argument. NUL is refused everywhere because the kernel
 * would silently cut the string there.
 */
export function parseExecRequest(input: unknown, maxStdinBytes: number): Outcome<ExecRequest> {
  if (typeof input !== 'object' || input === null) return fail('input must be an object');
  const { binary, args = [], cwd, stdin } = input as Record<string, unknown>;
  if (typeof binary !== 'string' || binary.length === 0)
    return fail('binary must be a non-empty string');
  if (hasNul(binary)) return fail('binary contains NUL');
  if (!binary.startsWith('/')) return fail('binary must be an absolute path');
  if (!Array.isArray(args) || !args.every((a): a is string => typeof a === 'string')) {
    return fail('args must be an array of strings');
  }
  if (args.length > MAX_EXEC_ARGS) return fail(`more than ${MAX_EXEC_ARGS} arguments`);
  if (args.some(hasNul)) return fail('an argument contains NUL');
  const argBytes = args.reduce((n, a) => n + Buffer.byteLength(a, 'utf8') + 1, 0);
  if (argBytes > MAX_EXEC_ARG_BYTES) return fail(`arguments exceed ${MAX_EXEC_ARG_BYTES} bytes`);
  if (cwd !== undefined && typeof cwd !== 'string') return fail('cwd must be a string');
  if (stdin !== undefined && typeof stdin !== 'string') return fail('stdin must be a string');
  if (stdin !== undefined && Buffer.byteLength(stdin, 'utf8') > maxStdinBytes) {
    return fail(`stdin exceeds ${maxStdinBytes} bytes`);
  }
  const request: ExecRequest = { binary, args: [...args] };
  if (cwd !== undefined) request.cwd = cwd;
  if (stdin !== undefined) request.stdin = stdin;
  return succeed(request);
}
