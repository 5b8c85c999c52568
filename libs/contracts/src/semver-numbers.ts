/**
 * An Ajv format, set on every version field next to VERSION_PATTERN: the major, minor and patch
 * numbers are each at most Number.MAX_SAFE_INTEGER, the largest semver parses (and so the
 * registry can order). Anything the pattern refuses passes here: the pattern reports it.
 */
export const SEMVER_NUMBERS_FORMAT = 'semver-safe-numbers';

export function semverNumbersAreSafe(version: string): boolean {
  const numbers = /^(\d+)\.(\d+)\.(\d+)(?=$|[-+])/.exec(version);
  return !numbers || numbers.slice(1).every((n) => Number(n) <= Number.MAX_SAFE_INTEGER);
}

/** What a value refused by {@link SEMVER_NUMBERS_FORMAT} must be, as an error detail says it. */
export const SEMVER_NUMBERS_MESSAGE = `must be a semantic version whose major, minor and patch numbers are each at most ${Number.MAX_SAFE_INTEGER} (Number.MAX_SAFE_INTEGER), the largest semver can order`;
