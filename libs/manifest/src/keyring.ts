import { createHash } from 'node:crypto';

/** The trust a keyring signer can vouch for: `official` is the release key's level. */
export type SignerTrust = 'trusted' | 'official';

/** One public key of a signer; `rotatedAt` is null for the current key. */
export interface KeyringKey {
  /** Hex SHA-256 of the 32 public key bytes: how records name the key. */
  keyId: string;
  /** The Ed25519 public key, 32 bytes. */
  publicKey: Uint8Array;
  rotatedAt: Date | null;
}

/** A signer of the keyring with every key it has had, current first. */
export interface KeyringSigner {
  id: string;
  trust: SignerTrust;
  revoked: boolean;
  keys: readonly KeyringKey[];
}

/**
 * What the signature and trust checks read of the keyring, as a synchronous snapshot the
 * caller takes before checking one submission.
 */
export interface Keyring {
  /** The signer of this id, revoked ones included; undefined when there is none. */
  signer(id: string): KeyringSigner | undefined;
  /**
   * The signer whose signed approved versions a plugin id already has (key continuity);
   * undefined when it has none.
   */
  pinnedSigner(pluginId: string): string | undefined;
  /**
   * Whether this manifest (its digest, see `manifestDigest`) was verified under this key
   * before the key was rotated out: rotation keeps an old key valid for what it signed.
   */
  signedBeforeRotation(keyId: string, manifestDigest: string): boolean;
}

/** The keyring with no signers: every signed manifest is `signer_unknown`. */
export const EMPTY_KEYRING: Keyring = {
  signer: () => undefined,
  pinnedSigner: () => undefined,
  signedBeforeRotation: () => false,
};

/** Who signed a verified manifest, and the trust an admin may designate it up to. */
export interface SignatureVerdict {
  signerId: string;
  keyId: string;
  trust: SignerTrust;
  /** When the key that verified was rotated out, as the keyring snapshot had it; null: current. */
  keyRotatedAt: Date | null;
}

/** The key id of an Ed25519 public key: hex SHA-256 of its 32 bytes. */
export function keyIdOf(publicKey: Uint8Array): string {
  return createHash('sha256').update(publicKey).digest('hex');
}
