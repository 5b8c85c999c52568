import { sha256Hex } from './sha256-digest.js';

/** `count` different contents whose digests start with `prefix`: one shard directory of the store. */
export function sameShard(count: number, prefix: string): Uint8Array[] {
  const found: Uint8Array[] = [];
  for (let i = 0; found.length < count; i++) {
    const bytes = new TextEncoder().encode(`content ${i}`);
    if (sha256Hex(bytes).startsWith(prefix)) found.push(bytes);
  }
  return found;
}
