import { Type } from '@sinclair/typebox';
import { DistributedEnv, serviceEnv } from '@convergio/runtime';

/** Environment of the approval service. */
export const ApprovalConfig = Type.Object({ ...DistributedEnv, ...serviceEnv(3003) });
