import type { VersionStatus } from '@convergio/contracts';
import { checkNewVersion, servingVersion, type KnownVersion } from './versions.js';

const v = (version: string, status: VersionStatus, everApproved = status === 'approved') => ({
  version,
  status,
  everApproved,
});

describe('checkNewVersion', () => {
  it.each<[string, string, KnownVersion[], string | null]>([
    ['the first version of an id', '0.1.0', [], null],
    ['a version above every approved one', '2.1.0', [v('2.0.0', 'approved')], null],
    ['a version below one only submitted', '1.5.0', [v('2.0.0', 'submitted')], null],
    ['a version below one rejected', '1.5.0', [v('2.0.0', 'rejected')], null],
    ['a pre-release above the approved release', '3.0.0-beta.1', [v('2.0.0', 'approved')], null],
    [
      'the release after its approved pre-release',
      '3.0.0',
      [v('2.0.0', 'approved'), v('3.0.0-beta.1', 'approved')],
      null,
    ],
  ])('accepts %s', (_what, candidate, known, replaces) => {
    expect(checkNewVersion(candidate, known)).toEqual({ ok: true, replaces });
  });

  it('replaces a rejected version submitted again with the same number', () => {
    expect(checkNewVersion('1.0.0', [v('1.0.0', 'rejected')])).toEqual({
      ok: true,
      replaces: '1.0.0',
    });
  });

  // Before: 1.1.0+b was a new row beside the rejected 1.1.0; calls and audit filters naming
  // 1.1.0 found the rejected one (found by a review).
  it.each([['1.1.0+b'], ['1.1.0+b.2']])(
    'refuses %s, equal by precedence to a rejected 1.1.0 but spelled otherwise, as version_exists',
    (candidate) => {
      expect(checkNewVersion(candidate, [v('1.1.0', 'rejected')])).toEqual({
        ok: false,
        code: 'version_exists',
        message: `version ${candidate} has the precedence of 1.1.0 (rejected): submit it as 1.1.0 to replace the rejected one, or submit a higher version`,
      });
      expect(checkNewVersion('1.1.0', [v(candidate, 'rejected')])).toMatchObject({
        ok: false,
        code: 'version_exists',
      });
    },
  );

  it.each<[string, string, KnownVersion[]]>([
    ['a rollback below the approved version', '1.0.0', [v('2.0.0', 'approved')]],
    ['a rollback below a revoked, once approved version', '1.9.9', [v('2.0.0', 'revoked', true)]],
    ['a pre-release of the approved release', '2.0.0-rc.1', [v('2.0.0', 'approved')]],
    [
      'a version between two approved ones',
      '1.5.0',
      [v('1.0.0', 'approved'), v('2.0.0', 'approved')],
    ],
  ])('refuses %s as version_not_increasing', (_what, candidate, known) => {
    expect(checkNewVersion(candidate, known)).toMatchObject({
      ok: false,
      code: 'version_not_increasing',
      message: expect.stringContaining('2.0.0'),
    });
  });

  it.each<[string, KnownVersion]>([
    ['submitted', v('1.0.0', 'submitted')],
    ['verified', v('1.0.0', 'verified')],
    ['pending_approval', v('1.0.0', 'pending_approval')],
    ['approved', v('1.0.0', 'approved')],
    ['revoked', v('1.0.0', 'revoked', true)],
    ['revoked before its approval', v('1.0.0', 'revoked', false)],
    ['equal by precedence (build metadata)', v('1.0.0+build.7', 'submitted')],
  ])('refuses a version equal to one %s as version_exists', (_what, known) => {
    expect(checkNewVersion('1.0.0', [known])).toMatchObject({
      ok: false,
      code: 'version_exists',
    });
  });
});

describe('servingVersion', () => {
  it.each<[string, { version: string; status: VersionStatus }[], string | null]>([
    ['nothing is known', [], null],
    ['nothing is approved', [v('1.0.0', 'submitted'), v('0.9.0', 'rejected')], null],
    [
      'the highest approved by precedence, not by string order',
      [v('1.9.0', 'approved'), v('1.10.0', 'approved'), v('1.2.0', 'approved')],
      '1.10.0',
    ],
    [
      'the highest approved when a higher one is pending or rejected',
      [v('1.0.0', 'approved'), v('2.0.0', 'pending_approval'), v('3.0.0', 'rejected')],
      '1.0.0',
    ],
    [
      'the previous one when the highest was revoked',
      [v('1.0.0', 'approved'), v('2.0.0', 'revoked')],
      '1.0.0',
    ],
    [
      'the release, never an approved pre-release above it',
      [v('2.0.0', 'approved'), v('3.0.0-beta.1', 'approved')],
      '2.0.0',
    ],
    [
      'no pre-release even when it is the only approved version',
      [v('1.0.0-rc.1', 'approved')],
      null,
    ],
  ])('serves %s', (_what, versions, serving) => {
    expect(servingVersion(versions)).toBe(serving);
  });
});
