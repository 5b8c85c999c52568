import { Type } from '@sinclair/typebox';
import { DistributedEnv, serviceEnv } from '@convergio/runtime';

/** Environment of the audit service. */
export const AuditConfig = Type.Object({
  ...DistributedEnv,
  ...serviceEnv(3006),
  AUDIT_INGEST_BATCH: Type.Integer({
    minimum: 1,
    maximum: 500,
    default: 256,
    description:
      'most events the audit service appends in one transaction (one multi-row INSERT); it holds twice as many unacknowledged, so one batch fills while the one before commits',
  }),
});
