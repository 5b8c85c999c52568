import { createHash } from 'node:crypto';
import { ArtifactError } from './artifact.errors.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** SHA-256 of the bytes as 64 lowercase hex characters. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Refuses anything but 64 lowercase hex characters, so a digest can never name a path outside the store. */
export function assertSha256Hex(value: string): void {
  if (typeof value !== 'string' || !SHA256_HEX.test(value)) {
    throw new ArtifactError(
      'artifact_invalid_digest',
      `not a sha256 digest (64 lowercase hex): ${JSON.stringify(String(value).slice(0, 80))}`,
    );
  }
}
