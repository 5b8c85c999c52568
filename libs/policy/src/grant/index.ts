export {
  DEFAULT_GRANT_POLICY,
  GrantPolicyError,
  LIMIT_NAMES,
  type GrantPolicy,
  type LimitName,
  type RootAccess,
} from './grant-policy.js';
export { GrantPolicyFileSchema, type GrantPolicyFile } from './grant-policy.schema.js';
export { parseGrantPolicy } from './parse-grant-policy.js';
export { type GrantContext, type GrantFinding } from './grant-context.js';
export { checkGrants } from './check-grants.js';
export { adminRequired, type AdminRequirement } from './admin-required.js';
export { netDenials } from './check-net-grants.js';
export { netPolicyFor } from './net-policy-for.js';
export { expandPluginDirInGrants } from './expand-grants.js';
