import { posix } from 'node:path';
import { FORBIDDEN_ROOTS, isWithinRoot } from './plugin-path.js';

/**
 * The paths the platform never grants, for one plugin. `roots`: canonical real paths of
 * the platform's own files (data directories, configuration, its home and working
 * directory, the operator's `protected_paths`). `ownDir`: the plugin's own directory, which
 * may lie under a protected root (under the data directory) and is then allowed, with
 * everything below it. FORBIDDEN_ROOTS are refused whatever this says.
 */
export interface PathProtection {
  roots: readonly string[];
  ownDir: string | null;
}

/** Protection with nothing but FORBIDDEN_ROOTS and no own directory. */
export const MINIMAL_PATH_PROTECTION: PathProtection = { roots: FORBIDDEN_ROOTS, ownDir: null };

/** Where the platform keeps its own files, as the executor knows them at start-up. */
export interface PlatformPaths {
  dataDirs: readonly string[];
  configFiles: readonly string[];
  homeDir: string | null;
  workingDir: string | null;
  /** The grant policy's `protected_paths`, and anything else the operator protects. */
  extra: readonly string[];
}

/**
 * The protected roots of a platform, canonical (single slashes, no `.`, `..` resolved, no
 * trailing slash) and de-duplicated, FORBIDDEN_ROOTS first. Pass REAL paths (realpath):
 * this function does no I/O and cannot see symlinks. A home or working directory of `/`
 * is skipped (service accounts and systemd units often have it; protecting `/` would
 * refuse every grant); `/` given as a data directory, configuration file or extra path is
 * kept. Throws an Error naming the path when one is not absolute.
 */
export function platformProtectedRoots(input: PlatformPaths): string[] {
  const canonical = (path: string): string => {
    if (!posix.isAbsolute(path))
      throw new Error(`protected path ${JSON.stringify(path)} is not absolute`);
    const normal = posix.normalize(path);
    return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
  };
  const notRoot = (path: string | null): string[] =>
    path === null || canonical(path) === '/' ? [] : [path];
  const all = [
    ...FORBIDDEN_ROOTS,
    ...input.dataDirs,
    ...input.configFiles,
    ...notRoot(input.homeDir),
    ...notRoot(input.workingDir),
    ...input.extra,
  ].map(canonical);
  return [...new Set(all)];
}

const ENV_SEGMENT = /^\.env(\..*)?$/;

/** True when a segment of the path is `.env` or `.env.<anything>` (`.envrc` is not). */
export function hasEnvFileSegment(path: string): boolean {
  return path.split('/').some((segment) => ENV_SEGMENT.test(segment));
}

/**
 * Why the platform never grants this canonical absolute path, or null. Refused: anything
 * inside /proc, /sys or /dev; any path with a `.env` / `.env.*` segment, everywhere, the
 * plugin's own directory included (environment files hold secrets; one rule with no
 * exception is easier to trust); anything inside a protected root, unless it is inside
 * `ownDir` and `ownDir` itself lies inside that root (a protected root inside the own
 * directory stays protected). Whole segments are compared: `/data-evil` is not in `/data`.
 * Reasons do not name the protected root: they reach the plugin.
 */
export function protectedPathRefusal(realPath: string, protection: PathProtection): string | null {
  if (FORBIDDEN_ROOTS.some((root) => isWithinRoot(root, realPath))) {
    return 'path is inside /proc, /sys or /dev';
  }
  if (hasEnvFileSegment(realPath)) return 'path names a .env file (never granted)';
  const { ownDir } = protection;
  const inOwnDir = ownDir !== null && isWithinRoot(ownDir, realPath);
  const root = protection.roots.find(
    (r) => isWithinRoot(r, realPath) && !(inOwnDir && isWithinRoot(r, ownDir)),
  );
  return root === undefined ? null : "path is inside the platform's own files (never granted)";
}
