import { Type } from '@sinclair/typebox';
import { GrantPolicyEnv, OutboxEnv, serviceEnv } from '@convergio/runtime';
import { ApprovalEnv } from '@convergio/approval';
import { ExecutorLimitsEnv } from '@convergio/executor';
import { GatewayEnv } from '@convergio/gateway';
import { ReleaseKeyEnv, SbomEnv } from '@convergio/verification';
import { SecretBrokerEnv } from '@convergio/secret-broker';

/** Environment of standalone mode: everything has a default, nothing else to install. */
export const StandaloneConfig = Type.Object({
  ...serviceEnv(3000),
  DATA_DIR: Type.String({
    minLength: 1,
    default: './data',
    description: 'embedded database, artifacts and the generated admin key',
  }),
  CORE_VERSION: Type.String({
    pattern: '^\\d+\\.\\d+\\.\\d+',
    default: '0.1.0',
    description: 'core version plugins are checked against',
  }),
  ...GatewayEnv,
  // Kept with the rest of the data here (adminKeyFile); the key keeps GatewayEnv's place.
  ADMIN_KEY_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'where a generated admin key is written (default: DATA_DIR/admin-key)',
    }),
  ),
  ...ApprovalEnv,
  ...ExecutorLimitsEnv,
  ...GrantPolicyEnv,
  ...OutboxEnv,
  ...ReleaseKeyEnv,
  ...SbomEnv,
  ...SecretBrokerEnv,
  SECRET_STORE_KEY_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'where standalone keeps a generated embedded-store key when SECRET_STORE_KEY is unset (default: DATA_DIR/secret-store-key; keep it with the data: without it the stored secrets cannot be read)',
    }),
  ),
});
