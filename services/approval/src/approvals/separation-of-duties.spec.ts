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
      { keyId: 'publisher-key', publisher: null, issuers: [], issued: [] },
      'self_approval_forbidden',
    ],
    [
      'another key of the submitting publisher',
      { keyId: 'other-key', publisher: 'acme', issuers: [], issued: [] },
      'self_approval_forbidden',
    ],
    [
      'the admin who issued the submitting secret',
      { keyId: 'issuing-admin', publisher: null, issuers: [], issued: [] },
      'self_approval_forbidden',
    ],
    [
      'an admin of another publisher',
      { keyId: 'other-key', publisher: 'globex', issuers: [], issued: [] },
      'allowed',
    ],
    [
      'an admin without a publisher',
      { keyId: 'admin-key', publisher: null, issuers: [], issued: [] },
      'allowed',
    ],
  ])('approval by %s: %s', (_, approver, expected) => {
    expect(refusalCode(() => checkApprover(submission(), approver, false))).toBe(expected);
  });

  it('lets nobody approve twice, whatever the development setting', () => {
    const approved = submission({
      approvals: [
        { actor: 'admin-key', at: new Date().toISOString(), trust: 'trusted', note: null },
      ],
    });
    const again = { keyId: 'admin-key', publisher: null, issuers: [], issued: [] };
    expect(refusalCode(() => checkApprover(approved, again, false))).toBe(
      'second_approver_required',
    );
    expect(refusalCode(() => checkApprover(approved, again, true))).toBe(
      'second_approver_required',
    );
  });

  it('relaxes only self-approval for a single-user development setup', () => {
    const self = { keyId: 'publisher-key', publisher: 'acme', issuers: [], issued: [] };
    expect(refusalCode(() => checkApprover(submission(), self, true))).toBe('allowed');
    const issuer = { keyId: 'issuing-admin', publisher: null, issuers: [], issued: [] };
    expect(refusalCode(() => checkApprover(submission(), issuer, true))).toBe('allowed');
  });

  it('names the issued secret in the refusal of its issuer', () => {
    expect(() =>
      checkApprover(
        submission(),
        { keyId: 'issuing-admin', publisher: null, issuers: [], issued: [] },
        false,
      ),
    ).toThrow(/issued the secret that submitted/);
  });

  it.each([
    ['the key rotated itself', 'publisher-key'],
    ['the bootstrap admin key issued it', 'gateway'],
    ['its issuer is unknown (issued before issuers were kept)', null],
  ])('lets another admin approve when %s', (_, issuer) => {
    const s = submission({ submittedByIssuer: issuer });
    expect(
      refusalCode(() =>
        checkApprover(s, { keyId: 'admin-key', publisher: null, issuers: [], issued: [] }, false),
      ),
    ).toBe('allowed');
  });

  it('counts keys issued one by the other, through any number of keys, as one person', () => {
    // admin A issued admin A2, which issued the publisher key that submitted: A's kin holds both.
    const a = {
      keyId: 'admin-a',
      publisher: null,
      issuers: [],
      issued: ['admin-a2', 'publisher-key'],
    };
    expect(
      refusalCode(() => checkApprover(submission({ submittedByIssuer: 'admin-a2' }), a, false)),
    ).toBe('self_approval_forbidden');
    expect(() => checkApprover(submission({ submittedByIssuer: 'admin-a2' }), a, false)).toThrow(
      /count as one person/,
    );
    // The key that submitted issued the approver's key (up the chain).
    const made = {
      keyId: 'made-by-submitter',
      publisher: null,
      issuers: ['publisher-key'],
      issued: [],
    };
    expect(refusalCode(() => checkApprover(submission(), made, false))).toBe(
      'self_approval_forbidden',
    );
    // A, then A2 (A issued it), as the two admins proc.exec needs.
    const byA = submission({
      approvals: [{ actor: 'admin-a', at: new Date().toISOString(), trust: 'trusted', note: null }],
    });
    const a2 = { keyId: 'admin-a2', publisher: null, issuers: ['admin-a'], issued: [] };
    expect(refusalCode(() => checkApprover(byA, a2, false))).toBe('second_approver_required');
    expect(refusalCode(() => checkApprover(byA, a2, true))).toBe('second_approver_required');
    // An admin unrelated to both is the second approver.
    const b = { keyId: 'admin-b', publisher: null, issuers: [], issued: ['admin-b-issued'] };
    expect(refusalCode(() => checkApprover(byA, b, false))).toBe('allowed');
    // A rotated the submitting key after its old secret (issued by another admin) submitted.
    const rotator = { keyId: 'admin-a', publisher: null, issuers: [], issued: ['publisher-key'] };
    expect(refusalCode(() => checkApprover(submission(), rotator, false))).toBe('allowed');
    expect(refusalCode(() => checkApprover(byA, b, false))).toBe('allowed');
  });

  it('refuses with forbidden, so the gateway answers 403', () => {
    expect(() =>
      checkApprover(
        submission(),
        { keyId: 'publisher-key', publisher: null, issuers: [], issued: [] },
        false,
      ),
    ).toThrow(expect.objectContaining({ code: 'forbidden' }));
  });

  it('needs no publisher match when the review predates the submitter being kept', () => {
    const old = submission({ submittedBy: null, submittedByIssuer: null, publisher: null });
    expect(
      refusalCode(() =>
        checkApprover(old, { keyId: 'a', publisher: null, issuers: [], issued: [] }, false),
      ),
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
