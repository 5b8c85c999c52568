import type { Permissions, Trust } from '@convergio/contracts';
import { aManifest } from '@convergio/testing';
import { approvalsRequired, checkApprover, type Submission } from './separation-of-duties.js';

const submission = (over: Partial<Submission> = {}): Submission => ({
  submittedBy: 'publisher-key',
  submittedByIssuer: 'issuing-admin',
  publisher: 'acme',
  approvals: [],
  ...over,
});
const refusalCode = (fn: () => void) => {
  try {
    fn();
  } catch (error) {
    return (error as { code: string; details: { code: string }[] }).details[0]?.code;
  }
  return 'allowed';
};
const manifest = (permissions: Permissions) => aManifest({ permissions });

describe('separation of duties', () => {
  it.each([
    [
      'the submitting key',
      { keyId: 'publisher-key', publisher: null, kin: [] },
      'self_approval_forbidden',
    ],
    [
      'another key of the submitting publisher',
      { keyId: 'other-key', publisher: 'acme', kin: [] },
      'self_approval_forbidden',
    ],
    [
      'the admin who issued the submitting secret',
      { keyId: 'issuing-admin', publisher: null, kin: [] },
      'self_approval_forbidden',
    ],
    [
      'an admin of another publisher',
      { keyId: 'other-key', publisher: 'globex', kin: [] },
      'allowed',
    ],
    ['an admin without a publisher', { keyId: 'admin-key', publisher: null, kin: [] }, 'allowed'],
  ])('approval by %s: %s', (_, approver, expected) => {
    expect(refusalCode(() => checkApprover(submission(), approver, false))).toBe(expected);
  });

  it('lets nobody approve twice, whatever the development setting', () => {
    const approved = submission({
      approvals: [
        { actor: 'admin-key', at: new Date().toISOString(), trust: 'trusted', note: null },
      ],
    });
    const again = { keyId: 'admin-key', publisher: null, kin: [] };
    expect(refusalCode(() => checkApprover(approved, again, false))).toBe(
      'second_approver_required',
    );
    expect(refusalCode(() => checkApprover(approved, again, true))).toBe(
      'second_approver_required',
    );
  });

  it('relaxes only self-approval for a single-user development setup', () => {
    const self = { keyId: 'publisher-key', publisher: 'acme', kin: [] };
    expect(refusalCode(() => checkApprover(submission(), self, true))).toBe('allowed');
    const issuer = { keyId: 'issuing-admin', publisher: null, kin: [] };
    expect(refusalCode(() => checkApprover(submission(), issuer, true))).toBe('allowed');
  });

  it('names the issued secret in the refusal of its issuer', () => {
    expect(() =>
      checkApprover(submission(), { keyId: 'issuing-admin', publisher: null, kin: [] }, false),
    ).toThrow(/issued the secret that submitted/);
  });

  it.each([
    ['the key rotated itself', 'publisher-key'],
    ['the bootstrap admin key issued it', 'gateway'],
    ['its issuer is unknown (issued before issuers were kept)', null],
  ])('lets another admin approve when %s', (_, issuer) => {
    const s = submission({ submittedByIssuer: issuer });
    expect(
      refusalCode(() => checkApprover(s, { keyId: 'admin-key', publisher: null, kin: [] }, false)),
    ).toBe('allowed');
  });

  it('counts the keys of one issuance lineage as one person', () => {
    // The gateway's kin of each approver (issuance-kin.ts): the keys up its issuer chain and
    // every key issued below those, bootstrap keys never.
    const approver = (keyId: string, kin: string[]) => ({ keyId, publisher: null, kin });
    const refused = (s: Submission, a: ReturnType<typeof approver>) =>
      refusalCode(() => checkApprover(s, a, false));
    // A issued A2, which issued the secret that submitted: one lineage, either way round.
    const byA2 = submission({ submittedByIssuer: 'admin-a2' });
    expect(refused(byA2, approver('admin-a', ['admin-a2', 'publisher-key']))).toBe(
      'self_approval_forbidden',
    );
    expect(() =>
      checkApprover(byA2, approver('admin-a', ['admin-a2', 'publisher-key']), false),
    ).toThrow(/share an issuance lineage/);
    // The key that submitted issued the approver's key.
    expect(refused(submission(), approver('made-by-submitter', ['publisher-key']))).toBe(
      'self_approval_forbidden',
    );
    // Siblings: one admin issued both the submitting key and the approver's.
    expect(refused(submission(), approver('sibling', ['issuing-admin', 'publisher-key']))).toBe(
      'self_approval_forbidden',
    );
    // A, then a key of A's lineage, as the two admins proc.exec needs: one admin.
    const byA = submission({
      approvals: [{ actor: 'admin-a', at: new Date().toISOString(), trust: 'trusted', note: null }],
    });
    for (const relaxed of [false, true])
      expect(
        refusalCode(() =>
          checkApprover(byA, approver('a-sibling', ['admin-a', 'admin-a2']), relaxed),
        ),
      ).toBe('second_approver_required');
    expect(() => checkApprover(byA, approver('a-sibling', ['admin-a']), false)).toThrow(
      /share an issuance lineage/,
    );
    // An admin of another lineage is the second approver.
    expect(refused(byA, approver('admin-b', ['admin-b-issued']))).toBe('allowed');
  });

  it('refuses with forbidden, so the gateway answers 403', () => {
    expect(() =>
      checkApprover(submission(), { keyId: 'publisher-key', publisher: null, kin: [] }, false),
    ).toThrow(expect.objectContaining({ code: 'forbidden' }));
  });

  it('needs no publisher match when the review predates the submitter being kept', () => {
    const old = submission({ submittedBy: null, submittedByIssuer: null, publisher: null });
    expect(
      refusalCode(() => checkApprover(old, { keyId: 'a', publisher: null, kin: [] }, false)),
    ).toBe('allowed');
  });

  const http: Permissions = { 'net.http': { rules: [{ host: 'a.example', methods: ['GET'] }] } };
  it.each<[Permissions, Trust, number]>([
    [http, 'untrusted', 1],
    [http, 'trusted', 2],
    [{ 'proc.exec': { binaries: ['/bin/echo'] } }, 'trusted', 2],
    [{}, 'official', 2],
  ])('approvals required for %j at %s: %d', (permissions, trust, n) => {
    expect(approvalsRequired(manifest(permissions), trust)).toBe(n);
  });
});
