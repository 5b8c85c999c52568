/**
 * Where a version stands for the executor: `pending` until it is approved or rejected. Coarser
 * than the registry's `VersionStatus`: the executor only needs to know whether a version may run.
 */
export type VersionRecordStatus = 'pending' | 'approved' | 'rejected' | 'revoked';

/**
 * Where each status may go. Events arrive in stream order but may be redelivered, so a status
 * only moves forward, except that a rejected version may be submitted again (the registry
 * replaces it), which starts it over as pending.
 */
const NEXT: Record<VersionRecordStatus, readonly VersionRecordStatus[]> = {
  pending: ['approved', 'rejected', 'revoked'],
  approved: ['revoked'],
  rejected: ['pending', 'revoked'],
  revoked: [],
};

/** Whether a version in `from` may move to `to`. */
export function canMoveVersion(from: VersionRecordStatus, to: VersionRecordStatus): boolean {
  return NEXT[from].includes(to);
}
