import { DomainError, type ApprovalRecord, type Manifest, type Trust } from '@convergio/contracts';

/** The admin deciding: their API key id and, for a key that also publishes, its publisher. */
export interface Approver {
  keyId: string;
  publisher: string | null;
  /** The other keys of its issuance lineage (the gateway's `issuanceKin`): their holders count as the approver. */
  kin: readonly string[];
}

/** Who submitted a version, and the approvals recorded for it so far. */
export interface Submission {
  submittedBy: string | null;
  /**
   * The key id of whoever issued (created or rotated) the secret that submitted: whoever holds it
   * could submit with it; `gateway` for the bootstrap admin key, null when unknown.
   */
  submittedByIssuer: string | null;
  publisher: string | null;
  approvals: ApprovalRecord[];
}

/**
 * How many different admins must approve a version: two when it asks for proc.exec or is to run
 * above untrusted (the two decisions that widen what native code or a signer may do), else one.
 */
export function approvalsRequired(manifest: Manifest, trust: Trust): 1 | 2 {
  return manifest.permissions['proc.exec'] !== undefined || trust !== 'untrusted' ? 2 : 1;
}

/**
 * Refuses an approval that separation of duties forbids, with `forbidden` and the rule's code:
 * `self_approval_forbidden` when the approver's key submitted the version, issued the secret that
 * submitted it (created or rotated that key: the issuer held the secret, so counts as the
 * submitter), shares an issuance lineage with the submitting key or its issuer (one issued the
 * other, or both descend from one key, through any number of keys: the same person could hold
 * both), or submits for the version's publisher (unless `allowSelfApproval`, a single-user
 * development setting); `second_approver_required` when the approver, or a key of its lineage,
 * already approved it.
 */
export function checkApprover(
  submission: Submission,
  approver: Approver,
  allowSelfApproval: boolean,
): void {
  const reason = selfApproval(submission, approver);
  if (reason && !allowSelfApproval) throw refusal('self_approval_forbidden', reason);
  if (submission.approvals.some((a) => a.actor === approver.keyId))
    throw refusal(
      'second_approver_required',
      'you already approved this version: it needs the approval of a different admin',
    );
  const kin = submission.approvals.find((a) => approver.kin.includes(a.actor));
  if (kin)
    throw refusal(
      'second_approver_required',
      `key ${kin.actor}, which approved this version, and this key share an issuance lineage (one issued the other, or both descend from one key), so they count as one admin: it needs the approval of a different admin`,
    );
}

/** Why `approver` counts as the submitter of `submission`, or null when they do not. */
function selfApproval(submission: Submission, approver: Approver): string | null {
  if (submission.submittedBy === approver.keyId)
    return 'nobody approves a version they submitted: another admin must approve it';
  if (submission.submittedByIssuer === approver.keyId)
    return `this key issued the secret that submitted the version (it created or rotated key ${submission.submittedBy}), so it counts as the submitter: another admin must approve it`;
  const lineageOf = [submission.submittedBy, submission.submittedByIssuer].find(
    (k) => k !== null && approver.kin.includes(k),
  );
  if (lineageOf)
    return `this key and key ${lineageOf}, which ${lineageOf === submission.submittedBy ? 'submitted the version' : 'issued the secret that submitted the version'}, share an issuance lineage (one issued the other, or both descend from one key), so they count as one person: another admin must approve it`;
  if (approver.publisher !== null && submission.publisher === approver.publisher)
    return `this key submits for publisher "${approver.publisher}", which submitted the version: another admin must approve it`;
  return null;
}

function refusal(code: string, message: string): DomainError {
  return new DomainError('forbidden', message, [{ code, message }]);
}
