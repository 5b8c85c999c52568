import { hash, randomBytes } from 'node:crypto';

const KEY_PREFIX = 'cvg_';

/** A new API key secret: `cvg_` and 256 random bits, base64url. */
export function newApiKeySecret(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** Hash under which a key is stored; keys are 256 random bits, so a fast hash is enough. */
export function hashKey(key: string): string {
  return hash('sha256', key);
}
