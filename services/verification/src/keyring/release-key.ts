import { Type } from '@sinclair/typebox';
import { PublicKeySchema, SignerIdSchema } from '@convergio/contracts';

/** Injection token of the operator's release key ({@link ReleaseKey} or null). */
export const RELEASE_KEY = Symbol('RELEASE_KEY');

/** The settings that name the release key, shared by the verification service and standalone mode. */
export const ReleaseKeyEnv = {
  RELEASE_SIGNER_ID: Type.String({
    ...SignerIdSchema,
    default: 'convergio-release',
    description: 'keyring id of the release key (the signer of official plugins)',
  }),
  RELEASE_PUBLIC_KEY: Type.Optional(
    Type.String({
      ...PublicKeySchema,
      description:
        'Ed25519 public key of the release key, unpadded base64url; unset: no official signer but those an admin adds',
    }),
  ),
};

/** The operator's release key: an official signer kept in the keyring at boot. */
export interface ReleaseKey {
  signerId: string;
  /** Unpadded base64url, 43 characters. */
  publicKey: string;
  asSigner: { id: string; public_key: string; trust: 'official' };
}

/** The release key the environment names, or null when it names none. */
export function releaseKeyOf(env: {
  RELEASE_SIGNER_ID: string;
  RELEASE_PUBLIC_KEY?: string;
}): ReleaseKey | null {
  if (!env.RELEASE_PUBLIC_KEY) return null;
  return {
    signerId: env.RELEASE_SIGNER_ID,
    publicKey: env.RELEASE_PUBLIC_KEY,
    asSigner: { id: env.RELEASE_SIGNER_ID, public_key: env.RELEASE_PUBLIC_KEY, trust: 'official' },
  };
}
