import { Type } from '@sinclair/typebox';
import { DistributedEnv, portEnv } from '@convergio/runtime';

/** Environment of the audit service. */
export const AuditConfig = Type.Object({ ...DistributedEnv, ...portEnv(3006) });
