import { Type } from '@sinclair/typebox';
import { DistributedEnv, serviceEnv } from '@convergio/runtime';

/** Environment of the audit service. */
export const AuditConfig = Type.Object({ ...DistributedEnv, ...serviceEnv(3006) });
