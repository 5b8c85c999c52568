import { SetMetadata } from '@nestjs/common';

/** Roles an API key can carry (docs/operator-guide.md). */
export const ROLES = ['admin', 'publisher', 'invoker', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const ROLES_KEY = 'convergio:roles';
/** Marks a route with the roles that may call it; admin may call every route. No decorator: any valid key. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

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
