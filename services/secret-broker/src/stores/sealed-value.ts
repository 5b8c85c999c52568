import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A value encrypted at rest: a fresh 96-bit nonce and the ciphertext with its 128-bit tag. */
export interface SealedValue {
  nonce: Buffer;
  ciphertext: Buffer;
}

/**
 * Encrypts `value` with AES-256-GCM (NIST SP 800-38D) under the 32-byte `key`, binding it to
 * `id` as additional data, so a ciphertext copied to another id's row does not decrypt.
 */
export function sealValue(key: Buffer, id: string, value: string): SealedValue {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(id, 'utf8'));
  const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return { nonce, ciphertext: Buffer.concat([body, cipher.getAuthTag()]) };
}

/** Decrypts what {@link sealValue} sealed for `id`; throws if the key, id or bytes differ. */
export function openValue(key: Buffer, id: string, sealed: SealedValue): string {
  const { nonce, ciphertext } = sealed;
  if (ciphertext.length < TAG_BYTES) throw new Error('sealed value too short');
  const decipher = createDecipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(id, 'utf8'));
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_BYTES));
  return Buffer.concat([
    decipher.update(ciphertext.subarray(0, ciphertext.length - TAG_BYTES)),
    decipher.final(),
  ]).toString('utf8');
}
