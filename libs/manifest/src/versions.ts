import semver from 'semver';
import type { VersionStatus } from '@convergio/contracts';

/** What the version rules need to know of a stored version of a plugin id. */
export interface KnownVersion {
  version: string;
  status: VersionStatus;
  /** Whether the version was ever approved (it stays true once it is revoked). */
  everApproved: boolean;
}

/** The verdict on a new submission's version: accepted (maybe replacing a rejected one), or refused with a code. */
export type VersionVerdict =
  | { ok: true; replaces: string | null }
  | { ok: false; code: 'version_not_increasing' | 'version_exists'; message: string };

/**
 * Whether `candidate` may be submitted next to `known`. It must be semver-greater than every
 * version ever approved (revoked ones included: rolling back to an older approved release is
 * what an attacker holding a publisher key would do), and must not equal a version that is not
 * rejected. A rejected version with the same number is replaced by the new submission; one equal
 * by precedence but spelled otherwise (`1.1.0+b` for a rejected `1.1.0`) is refused
 * `version_exists`: it would be a second row that calls, approvals and audit filters naming the
 * rejected one's spelling never find.
 */
export function checkNewVersion(candidate: string, known: readonly KnownVersion[]): VersionVerdict {
  const same = known.filter((k) => semver.eq(k.version, candidate));
  const alive = same.find((k) => k.status !== 'rejected');
  if (alive) {
    return {
      ok: false,
      code: 'version_exists',
      message: `version ${alive.version} was already submitted (${alive.status}); submit a higher version`,
    };
  }
  const otherSpelling = same.find((k) => k.version !== candidate);
  if (otherSpelling && !same.some((k) => k.version === candidate)) {
    return {
      ok: false,
      code: 'version_exists',
      message: `version ${candidate} has the precedence of ${otherSpelling.version} (rejected): submit it as ${otherSpelling.version} to replace the rejected one, or submit a higher version`,
    };
  }
  const highestApproved = highest(known.filter((k) => k.everApproved).map((k) => k.version));
  if (highestApproved && !semver.gt(candidate, highestApproved)) {
    return {
      ok: false,
      code: 'version_not_increasing',
      message: `version ${candidate} is not greater than ${highestApproved}, already approved; submit a higher version`,
    };
  }
  return { ok: true, replaces: same.length > 0 ? candidate : null };
}

/**
 * The version served when a call names none: the highest approved, non-revoked version by semver
 * precedence. Pre-releases are never served by default, only when asked for by version.
 */
export function servingVersion(
  versions: readonly { version: string; status: string }[],
): string | null {
  return highest(
    versions
      .filter(
        (v) => v.status === 'approved' && semver.valid(v.version) && !semver.prerelease(v.version),
      )
      .map((v) => v.version),
  );
}

/**
 * The approved pre-releases among `versions`, highest first: never served by default, they run
 * only when a call names them (what to suggest when {@link servingVersion} finds none).
 */
export function approvedPreReleases(
  versions: readonly { version: string; status: string }[],
): string[] {
  return versions
    .filter(
      (v) => v.status === 'approved' && semver.valid(v.version) && semver.prerelease(v.version),
    )
    .map((v) => v.version)
    .sort(semver.rcompare);
}

/** Whether `version` is a semantic version the rules above can order. */
export function isSemver(version: string): boolean {
  return semver.valid(version) !== null;
}

function highest(versions: readonly string[]): string | null {
  const valid = versions.filter((v) => semver.valid(v));
  return valid.length === 0 ? null : valid.reduce((a, b) => (semver.gt(b, a) ? b : a));
}
