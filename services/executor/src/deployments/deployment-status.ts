import type { DeploymentStatus } from './deployment.entity.js';

/**
 * Where each status may go. Events arrive in stream order but may be redelivered, so a status
 * only moves forward, except that a rejected version may be submitted again (the registry
 * replaces it), which starts it over as pending.
 */
const NEXT: Record<DeploymentStatus, readonly DeploymentStatus[]> = {
  pending: ['approved', 'rejected', 'revoked'],
  approved: ['revoked'],
  rejected: ['pending', 'revoked'],
  revoked: [],
};

/** Whether a deployment in `from` may move to `to`. */
export function canMoveDeployment(from: DeploymentStatus, to: DeploymentStatus): boolean {
  return NEXT[from].includes(to);
}
