const ALPHABET = /^[A-Za-z0-9_-]*$/;

/** Unpadded base64url (RFC 4648 §5) of `bytes`. */
export function encodeBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * The bytes of an unpadded base64url (RFC 4648 §5) text, or undefined unless the text is the
 * one canonical encoding of them: no padding, no other alphabet, no whitespace, and zero
 * unused bits in the last character (RFC 4648 §3.5), so each byte string has exactly one
 * accepted spelling. Node's decoder alone skips what it does not understand.
 */
export function decodeBase64url(text: string): Uint8Array | undefined {
  if (!ALPHABET.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
