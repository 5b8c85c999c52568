import { Type } from '@sinclair/typebox';
import { DistributedEnv, serviceEnv } from '@convergio/runtime';

/** Environment of the audit service. */
export const AuditConfig = Type.Object({
  ...DistributedEnv,
  ...serviceEnv(3006),
  AUDIT_ALLOW_OWNER_LOGIN: Type.Boolean({
    default: false,
    description:
      'development only: start although the database login (DATABASE_URL) could change the audit log (superuser, owner of the audit schema or table, or CREATEROLE), with a warning; otherwise the service refuses to start',
  }),
  AUDIT_INGEST_BATCH: Type.Integer({
    minimum: 1,
    maximum: 500,
    default: 256,
    description:
      'most events the audit service appends in one transaction (one multi-row INSERT); it holds twice as many unacknowledged, so one batch fills while the one before commits',
  }),
});
