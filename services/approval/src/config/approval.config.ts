import { Type, type Static } from '@sinclair/typebox';
import { DistributedEnv, OutboxEnv, serviceEnv } from '@convergio/runtime';

/** Variables of the approval service shared by both modes. */
export const ApprovalEnv = {
  APPROVAL_ALLOW_SELF_APPROVAL: Type.Boolean({
    default: false,
    description:
      'single-user development only: let an admin approve a version their own key (or publisher) submitted, or a key they issued (created or rotated) submitted. Relaxes no other rule (proc.exec and trust above untrusted still need two different admins); a warning is logged at every start while on',
  }),
};

/** How separation of duties is applied (see {@link ApprovalEnv}). */
export interface ApprovalSettings {
  /** Whether an admin may approve a version they submitted (development only). */
  allowSelfApproval: boolean;
}
/** Injection token of the {@link ApprovalSettings}. */
export const APPROVAL_SETTINGS = Symbol('APPROVAL_SETTINGS');

/** The settings from a validated environment holding {@link ApprovalEnv}. */
export function approvalSettings(
  env: Static<ReturnType<typeof Type.Object<typeof ApprovalEnv>>>,
): ApprovalSettings {
  return { allowSelfApproval: env.APPROVAL_ALLOW_SELF_APPROVAL };
}

/** Environment of the approval service. */
export const ApprovalConfig = Type.Object({
  ...DistributedEnv,
  ...OutboxEnv,
  ...serviceEnv(3003),
  ...ApprovalEnv,
});
