/** Why a store could not answer: the plugin sees a generic failure, the operator this code. */
export type SecretStoreFailure = 'store_unreachable' | 'store_denied' | 'store_failed';

/** A store failure; its message names the store and the cause, never a value. */
export class SecretStoreError extends Error {
  override readonly name = 'SecretStoreError';
  constructor(
    readonly code: SecretStoreFailure,
    message: string,
  ) {
    super(message);
  }
}

/** Where the broker reads secret values (the embedded store or Azure Key Vault). */
export interface SecretStore {
  /** `embedded` can be managed through the gateway; `azure` is managed in Azure. */
  readonly kind: 'embedded' | 'azure';
  /** The value of `id`, or undefined if there is none; throws SecretStoreError. */
  get(id: string): Promise<string | undefined>;
}

/** Injection token of the broker's {@link SecretStore}. */
export const SECRET_STORE = Symbol('SECRET_STORE');
