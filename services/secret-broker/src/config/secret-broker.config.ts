import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { ConfigError, Secret } from '@convergio/config';
import { DistributedEnv, OutboxEnv, serviceEnv } from '@convergio/runtime';
import { parseReleaseForms, type ReleaseForms } from '../reads/release-form.js';

/** Longest a secret token may live, seconds: a leaked token is useless after at most this. */
export const MAX_TOKEN_TTL_S = 900;

/** Variables of the secret broker shared by both modes (standalone embeds them). */
export const SecretBrokerEnv = {
  SECRET_TOKEN_TTL_S: Type.Integer({
    minimum: 5,
    maximum: MAX_TOKEN_TTL_S,
    default: 60,
    description:
      'lifetime of a secret token the broker signs for a plugin version, seconds (at most 900)',
  }),
  SECRET_STORE_KEY: Type.Optional(
    Secret(
      Type.String({
        pattern: '^[A-Za-z0-9+/]{43}=$',
        description:
          'AES-256-GCM key of the embedded secret store: 32 bytes in base64 (openssl rand -base64 32); required without AZURE_KEY_VAULT_URL',
      }),
    ),
  ),
  AZURE_KEY_VAULT_URL: Type.Optional(
    Type.String({
      pattern: '^https://',
      description: 'Azure Key Vault URL; unset means the embedded vault',
    }),
  ),
  AZURE_KEY_VAULT_CACHE_S: Type.Integer({
    minimum: 0,
    maximum: 300,
    default: 30,
    description: 'how long a value read from Azure Key Vault is reused, seconds (0: never)',
  }),
  AZURE_KEY_VAULT_CA_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'PEM file of certificates to trust for the vault besides the system ones (a private CA, a TLS-inspecting proxy)',
    }),
  ),
  AZURE_KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: Type.Boolean({
    default: false,
    description:
      "accept a Key Vault challenge whose resource is not the vault URL's domain (sovereign clouds, emulators); leave off for Azure",
  }),
  SECRET_RELEASE_FORMS: Type.Optional(
    Type.String({
      description:
        'brokered modes: JSON object secret id → {"last": n} or {"first": n} (1 to 64 characters); a plugin gets only that part of the value. Ids match whatever their case, as Key Vault names do',
    }),
  ),
};

/** Environment of the secret broker in distributed mode. */
export const SecretBrokerConfig = Type.Object({
  ...DistributedEnv,
  ...OutboxEnv,
  ...serviceEnv(3005),
  ...SecretBrokerEnv,
});

type SecretBrokerEnvValues = Static<ReturnType<typeof Type.Object<typeof SecretBrokerEnv>>>;

/** Where the broker reads secrets from. */
type SecretStoreSettings =
  | { kind: 'embedded'; key: Buffer }
  | {
      kind: 'azure';
      vaultUrl: string;
      cacheMs: number;
      ca?: string;
      disableChallengeResourceVerification: boolean;
    };

/** The broker's settings, checked together (what one variable allows depends on another). */
export interface SecretBrokerSettings {
  tokenTtlS: number;
  store: SecretStoreSettings;
  releaseForms: ReleaseForms;
}

/**
 * The settings of validated variables; throws ConfigError when the embedded store has no key or
 * SECRET_RELEASE_FORMS is not a valid map (never naming a value).
 */
export function secretBrokerSettings(env: SecretBrokerEnvValues): SecretBrokerSettings {
  const store: SecretStoreSettings | undefined = env.AZURE_KEY_VAULT_URL
    ? {
        kind: 'azure',
        vaultUrl: env.AZURE_KEY_VAULT_URL,
        cacheMs: env.AZURE_KEY_VAULT_CACHE_S * 1000,
        ...(env.AZURE_KEY_VAULT_CA_FILE && {
          ca: readFileSync(env.AZURE_KEY_VAULT_CA_FILE, 'utf8'),
        }),
        disableChallengeResourceVerification:
          env.AZURE_KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION,
      }
    : env.SECRET_STORE_KEY
      ? { kind: 'embedded', key: Buffer.from(env.SECRET_STORE_KEY, 'base64') }
      : undefined;
  if (!store)
    throw new ConfigError([
      {
        variable: 'SECRET_STORE_KEY',
        expected: 'a key for the embedded secret store (or AZURE_KEY_VAULT_URL set)',
        received: 'nothing',
      },
    ]);
  const forms = parseReleaseForms(env.SECRET_RELEASE_FORMS);
  if (!forms.ok)
    throw new ConfigError([
      { variable: 'SECRET_RELEASE_FORMS', expected: forms.reason, received: 'another value' },
    ]);
  return { tokenTtlS: env.SECRET_TOKEN_TTL_S, store, releaseForms: forms.value };
}
