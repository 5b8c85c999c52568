import { Type } from '@sinclair/typebox';
import { NatsEnv } from '@convergio/runtime';

/** Environment of the provisioning step: the NATS server, the bus prefix and its own login. */
export const ProvisionerConfig = Type.Object({ ...NatsEnv });
