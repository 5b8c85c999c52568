import type { DeploymentStatus } from './deployment.entity.js';

const RANK: Record<DeploymentStatus, number> = { pending: 0, approved: 1, rejected: 1, revoked: 2 };

/** Events arrive on one consumer per subject, so a status only ever moves forward. */
export function canMoveDeployment(from: DeploymentStatus, to: DeploymentStatus): boolean {
  return RANK[to] > RANK[from];
}
