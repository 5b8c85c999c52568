import type { VersionStatus } from '@convergio/contracts';

/**
 * How far along its lifecycle each status is. Events reach the registry in stream
 * order on its one consumer, but a redelivered event can arrive after later ones:
 * a status only ever moves forward.
 */
const RANK: Record<VersionStatus, number> = {
  submitted: 0,
  verified: 1,
  pending_approval: 2,
  rejected: 3,
  approved: 3,
  revoked: 4,
};

/** Whether a version in `from` may move to `to`. */
export function canMove(from: VersionStatus, to: VersionStatus): boolean {
  return RANK[to] > RANK[from];
}
