import type { ApprovalItem } from '@convergio/contracts';
import type { Approval } from './approval.entity.js';
import { approvalsRequired } from './separation-of-duties.js';

/** A review as the queue shows it to admins. */
export function toItem(a: Approval): ApprovalItem {
  return {
    plugin_id: a.pluginId,
    version: a.version,
    status: a.status,
    trust: a.trust,
    signed_by: a.signedBy,
    high_risk_permissions: a.highRisk,
    permissions: a.manifest.permissions,
    permission_diff: a.permissionDiff,
    previous_approved_version: a.previousApprovedVersion,
    requested_at: a.requestedAt.toISOString(),
    decided_by: a.decidedBy,
    note: a.note,
    submitted_by: a.submittedBy,
    submitted_by_issuer: a.submittedByIssuer,
    publisher: a.publisher,
    findings: a.findings,
    permission_reasons: a.manifest.permission_reasons ?? {},
    approvals_required: approvalsRequired(a.manifest, a.approvals[0]?.trust ?? a.trust),
    approvals: a.approvals,
  };
}
