import { Type } from '@sinclair/typebox';
import { DistributedEnv, portEnv } from '@convergio/runtime';

/** Environment of the approval service. */
export const ApprovalConfig = Type.Object({ ...DistributedEnv, ...portEnv(3003) });
