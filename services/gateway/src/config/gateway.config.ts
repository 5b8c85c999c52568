import { Type } from '@sinclair/typebox';
import { Secret } from '@convergio/config';
import { ArtifactEnv, DistributedEnv, serviceEnv } from '@convergio/runtime';

/** Variables of the gateway shared by both modes. */
export const GatewayEnv = {
  CONVERGIO_ADMIN_KEY: Type.Optional(
    Secret(
      Type.String({
        minLength: 24,
        description:
          'admin API key to create at start (otherwise one is generated into ADMIN_KEY_FILE)',
      }),
    ),
  ),
  ADMIN_KEY_FILE: Type.String({
    minLength: 1,
    default: './data/admin-key',
    description: 'where a generated admin key is written',
  }),
};

/** Environment of the gateway in distributed mode. */
export const GatewayConfig = Type.Object({
  ...DistributedEnv,
  ...ArtifactEnv,
  ...serviceEnv(3000),
  ...GatewayEnv,
});
