import { DefaultAzureCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { SecretStoreError, type SecretStore } from './secret-store.js';

/** How the broker reaches Azure Key Vault. */
export interface AzureKeyVaultOptions {
  vaultUrl: string;
  /** How long a value read is reused, ms (0: never). */
  cacheMs: number;
  /** PEM certificates to trust besides the system's (a private CA or a TLS-inspecting proxy). */
  ca?: string;
  /** Accept a challenge whose resource is not the vault's domain (sovereign clouds, emulators). */
  disableChallengeResourceVerification?: boolean;
}

/**
 * Secrets read from Azure Key Vault with `@azure/keyvault-secrets`, authenticated by
 * `DefaultAzureCredential` (environment, workload identity, managed identity, Azure CLI...), each
 * value reused for `cacheMs`. A missing secret is undefined; an unreachable vault is
 * `store_unreachable`, a refused identity or access policy `store_denied`.
 */
export class AzureKeyVaultStore implements SecretStore {
  readonly kind = 'azure';
  private readonly client: SecretClient;
  private readonly cache = new Map<string, { value: string; until: number }>();

  constructor(
    private readonly options: AzureKeyVaultOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.client = new SecretClient(options.vaultUrl, new DefaultAzureCredential(), {
      retryOptions: { maxRetries: 1 },
      ...(options.ca !== undefined && { tlsOptions: { ca: options.ca } }),
      ...(options.disableChallengeResourceVerification && {
        disableChallengeResourceVerification: true,
      }),
    });
  }

  async get(id: string): Promise<string | undefined> {
    const cached = this.cache.get(id);
    if (cached && cached.until > this.now()) return cached.value;
    let value: string | undefined;
    try {
      value = (await this.client.getSecret(id)).value;
    } catch (error) {
      const failure = failureOf(error, this.options.vaultUrl);
      if (failure === undefined) return undefined;
      throw failure;
    }
    if (value === undefined) return undefined;
    if (this.options.cacheMs > 0)
      this.cache.set(id, { value, until: this.now() + this.options.cacheMs });
    return value;
  }
}

/** undefined: the secret does not exist (or is disabled); else the store error to throw. */
function failureOf(error: unknown, vaultUrl: string): SecretStoreError | undefined {
  const e = error as { name?: string; statusCode?: number; code?: string; message?: string };
  if (e.statusCode === 404) return undefined;
  if (e.statusCode === 401 || e.statusCode === 403)
    return new SecretStoreError(
      'store_denied',
      `Azure Key Vault ${vaultUrl} refused access (${e.statusCode} ${e.code ?? ''})`,
    );
  if (
    e.name === 'CredentialUnavailableError' ||
    e.name === 'AuthenticationError' ||
    e.name === 'AggregateAuthenticationError'
  )
    return new SecretStoreError(
      'store_denied',
      `no Azure identity for Key Vault ${vaultUrl}: ${e.name}`,
    );
  if (e.statusCode === undefined)
    return new SecretStoreError(
      'store_unreachable',
      `Azure Key Vault ${vaultUrl} is unreachable (${e.code ?? e.name ?? 'error'})`,
    );
  return new SecretStoreError(
    'store_failed',
    `Azure Key Vault ${vaultUrl} answered ${e.statusCode} (${e.code ?? ''})`,
  );
}
