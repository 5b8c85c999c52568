import { hash, randomBytes } from 'node:crypto';

const KEY_PREFIX = 'cvg_';

/** A new API key secret: `cvg_` and 256 random bits, base64url. */
export function newApiKeySecret(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** The shape of every secret {@link newApiKeySecret} makes: the prefix and 43 base64url characters. */
const GENERATED_SHAPE = /^cvg_[A-Za-z0-9_-]{43}$/;

/** Whether `key` has the shape of a secret the gateway generates (a test of shape, not of validity). */
export function isGeneratedShape(key: string): boolean {
  return GENERATED_SHAPE.test(key);
}

/** Hash under which a key is stored; keys are 256 random bits, so a fast hash is enough. */
export function hashKey(key: string): string {
  return hash('sha256', key);
}
