import { Type } from '@sinclair/typebox';
import { DistributedEnv, serviceEnv } from '@convergio/runtime';

/** Environment of the secret broker. */
export const SecretBrokerConfig = Type.Object({
  ...DistributedEnv,
  ...serviceEnv(3005),
  AZURE_KEY_VAULT_URL: Type.Optional(
    Type.String({
      pattern: '^https://',
      description: 'Azure Key Vault URL; unset means the embedded vault',
    }),
  ),
});
