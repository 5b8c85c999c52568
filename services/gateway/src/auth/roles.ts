import { applyDecorators, SetMetadata } from '@nestjs/common';
import { DomainError } from '@convergio/contracts';

/** Roles an API key can carry (docs/operator-guide.md). */
export const ROLES = ['admin', 'publisher', 'invoker', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const ROLES_KEY = 'convergio:roles';
/** Marks a route with the roles that may call it; admin may call every route. No decorator: any valid key. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

export const PUBLISHER_ONLY_KEY = 'convergio:publisher-only';
/**
 * Marks a route that acts for the caller's publisher (submitting a plugin): only a key with the
 * publisher role and a publisher name may call it; admin keys, which name no publisher, do not.
 */
export const PublisherOnly = () =>
  applyDecorators(SetMetadata(ROLES_KEY, ['publisher']), SetMetadata(PUBLISHER_ONLY_KEY, true));

/** How a key that may submit is created, said wherever a key cannot. */
export const PUBLISHER_KEY_HINT =
  'an admin creates a publisher key with POST /v1/api-keys {"name": "ci", "roles": ["publisher"], "publisher": "<your publisher name>"}';

/** Who is calling: the key's id, its roles, and the publisher it submits for (if any). */
export interface Principal {
  keyId: string;
  name: string;
  roles: Role[];
  publisher: string | null;
  /**
   * Who issued the very secret this request came with (a key id, or `gateway` for the bootstrap
   * admin key; during a rotation's grace period the old secret's issuer); null when unknown.
   */
  issuedBy: string | null;
  /**
   * When the secret this request came with stops being accepted: null for the key's current
   * secret, the end of the grace period for a secret a rotation replaced.
   */
  secretValidUntil: Date | null;
}

export const CHECKS_ROTATED_OUT_SECRET_KEY = 'convergio:checks-rotated-out-secret';
/**
 * Marks an admin route that decides itself what a rotated-out secret may do there (see
 * {@link requireCurrentSecret}); every other admin route that changes something refuses one.
 */
export const ChecksRotatedOutSecret = () => SetMetadata(CHECKS_ROTATED_OUT_SECRET_KEY, true);

/**
 * Refuses a request that came with a secret a rotation replaced: such a secret still makes calls
 * during its grace period, but no lasting admin change (`action`): it could rotate the key again
 * and keep the only current secret, or mint a key or a signer that outlives the grace period.
 * The AuthGuard applies it to every admin route but GET; routes marked
 * {@link ChecksRotatedOutSecret} apply it themselves.
 *
 * @throws DomainError forbidden, detail `secret_rotated_out`.
 */
export function requireCurrentSecret(
  who: Pick<Principal, 'keyId' | 'secretValidUntil'>,
  action: string,
): void {
  if (!who.secretValidUntil) return;
  throw new DomainError(
    'forbidden',
    `this secret of key ${who.keyId} was replaced by a rotation: it is accepted for calls until ${who.secretValidUntil.toISOString()}, but only the key's current secret may ${action}`,
    [{ code: 'secret_rotated_out', message: 'a rotated-out secret makes no admin change' }],
  );
}
