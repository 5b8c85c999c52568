import { Type } from '@sinclair/typebox';
import { DistributedEnv, serviceEnv } from '@convergio/runtime';

/** Environment of the audit service. */
export const AuditConfig = Type.Object({
  ...DistributedEnv,
  ...serviceEnv(3006),
  AUDIT_INGEST_BATCH: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 256,
    description:
      'events the audit service handles at once and appends in one transaction (one multi-row INSERT)',
  }),
});
