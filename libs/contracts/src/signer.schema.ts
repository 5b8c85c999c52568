import { Type, type Static } from '@sinclair/typebox';
import { describedPattern } from './error-details.js';

const SIGNER_ID_FORM =
  'letters, digits, dots, dashes and underscores, at most 128, starting with a letter or digit (e.g. acme-release)';
/** A keyring signer's id, as `signing.signer_id` names it and the keyring routes take it. */
export const SignerIdSchema = Type.String({
  pattern: describedPattern('^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$', SIGNER_ID_FORM),
  description: SIGNER_ID_FORM,
});

/** The trust a keyring signer vouches for; `official` is the release key's. */
export const SignerTrustSchema = Type.Union([Type.Literal('trusted'), Type.Literal('official')]);
export type SignerTrust = Static<typeof SignerTrustSchema>;

/** An Ed25519 public key (RFC 8032): 32 bytes as 43 characters of unpadded base64url. */
export const PublicKeySchema = Type.String({
  pattern: '^[A-Za-z0-9_-]{43}$',
  description: 'Ed25519 public key: 32 bytes as unpadded base64url (43 characters)',
});

/** A key id: hex SHA-256 of the public key's 32 bytes. */
export const KeyIdSchema = Type.String({ pattern: '^[0-9a-f]{64}$' });

/** Who signed a verified version, and the trust an admin may designate it up to. */
export const SignedBySchema = Type.Object(
  { signer_id: SignerIdSchema, key_id: KeyIdSchema, trust: SignerTrustSchema },
  { additionalProperties: false },
);
export type SignedBy = Static<typeof SignedBySchema>;

const Timestamp = Type.String({ format: 'date-time' });

/** A signer as the keyring shows it: every key it has had, the current one first. */
export const SignerItemSchema = Type.Object({
  id: SignerIdSchema,
  trust: SignerTrustSchema,
  status: Type.Union([Type.Literal('active'), Type.Literal('revoked')]),
  keys: Type.Array(
    Type.Object({
      key_id: KeyIdSchema,
      public_key: PublicKeySchema,
      added_at: Timestamp,
      rotated_at: Type.Union([Timestamp, Type.Null()]),
    }),
  ),
  added_by: Type.String({ description: 'the admin key id, or `operator` for the release key' }),
  added_at: Timestamp,
  revoked_at: Type.Union([Timestamp, Type.Null()]),
  revoked_by: Type.Union([Type.String(), Type.Null()]),
});
export type SignerItem = Static<typeof SignerItemSchema>;
