import { applyDecorators, SetMetadata } from '@nestjs/common';

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
}
