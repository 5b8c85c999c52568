import { fail, nestsDeeperThan, succeed, type Outcome } from '@convergio/contracts';
import { cutMarked } from '../redact/cut-mark.js';

/**
 * Syntax of the paths a plugin names, and where a path sits relative to a grant. Pure:
 * no file system access; the host resolves paths and feeds the real paths back in.
 */

/** Longest path a plugin may name (Linux PATH_MAX). */
export const MAX_PLUGIN_PATH_LENGTH = 4096;

/**
 * Kernel pseudo file systems: refused even under a grant of `/`. Reading
 * /proc/self/environ, /proc/self/mem or /dev/zero would leak the host or hang it.
 */
export const FORBIDDEN_ROOTS: readonly string[] = ['/proc', '/sys', '/dev'];

/**
 * Checks a plugin-supplied path and returns it in canonical form (single slashes, no `.`,
 * no trailing slash). Relative paths are refused rather than resolved against a grant:
 * with several grants there is no single obvious base, and a silent base is how
 * `../` escapes start. `..` is refused outright, not normalised away, so `/allowed/../etc`
 * never reaches the file system. Backslashes, NUL and other control characters are refused
 * (NUL truncates C strings; control characters forge log lines), and so are lone surrogates. Percent-encoded forms
 * such as `%2e%2e` are NOT decoded: on a file system they are ordinary names.
 */
export function parsePluginPath(raw: unknown): Outcome<string> {
  if (typeof raw !== 'string' || raw.length === 0) return fail('path must be a non-empty string');
  if (raw.length > MAX_PLUGIN_PATH_LENGTH) return fail('path is too long');

  if (/[\u0000-\u001f\u007f]/.test(raw)) return fail('path contains NUL or control characters');
  // A lone surrogate (a JSON escape, or a byte of invalid UTF-8 kept by the host-call decoder)
  // has no UTF-8 form: Node would name another file (U+FFFD) than the one decided on.
  if (/\p{Cs}/u.test(raw))
    return fail('path is not well-formed Unicode (invalid UTF-8 or a lone surrogate)');
  if (raw.includes('\\')) return fail('path contains a backslash');
  if (!raw.startsWith('/')) return fail('path must be absolute');
  const segments = raw.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return fail('path contains a ".." segment');
  return succeed('/' + segments.join('/'));
}

/**
 * True when `candidate` is `root` or lies below it. Both must be canonical absolute
 * paths. Compares whole segments, so `/allowed-evil` is not inside `/allowed`.
 */
export function isWithinRoot(root: string, candidate: string): boolean {
  if (root === '/') return candidate.startsWith('/');
  return candidate === root || candidate.startsWith(root + '/');
}

/** True when the path is inside any of the roots. */
export function isWithinAnyRoot(roots: readonly string[], candidate: string): boolean {
  return roots.some((root) => isWithinRoot(root, candidate));
}

/** True for paths inside /proc, /sys or /dev (see FORBIDDEN_ROOTS). */
export function isForbiddenPath(candidate: string): boolean {
  return isWithinAnyRoot(FORBIDDEN_ROOTS, candidate);
}

/** Nesting of a non-string value written out in a denial target; deeper is described, not written. */
const DESCRIBED_DEPTH = 32;

/**
 * A plugin-supplied value made safe to record as the `target` of a denial: control
 * characters escaped, length capped. A value nested deeper than 32 levels is named as such (its
 * JSON.stringify would recurse past the stack, and the denial go unrecorded).
 */
export function describePluginValue(raw: unknown, max = 1024): string {
  const text =
    typeof raw === 'string'
      ? raw
      : raw === undefined
        ? ''
        : nestsDeeperThan(raw, DESCRIBED_DEPTH)
          ? `(a JSON value nested deeper than ${DESCRIBED_DEPTH} levels)`
          : (JSON.stringify(raw) ?? '');

  const escaped = text.replace(
    /[\u0000-\u001f\u007f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return cutMarked(escaped, max);
}
