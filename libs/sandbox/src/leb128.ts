import { SandboxError } from './sandbox-error.js';

/** A value decoded from a byte array and the offset just past it. */
export interface Decoded {
  value: number;
  next: number;
}

/** Decodes an unsigned 32-bit LEB128 integer at `offset` (at most 5 bytes, as the Wasm spec allows). */
export function readU32Leb(bytes: Uint8Array, offset: number): Decoded {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const at = offset + i;
    if (at >= bytes.length)
      throw new SandboxError('module_invalid', `truncated LEB128 integer at byte ${offset}`);
    const byte = bytes[at];
    if (i === 4 && byte > 0x0f)
      throw new SandboxError(
        'module_invalid',
        `LEB128 integer overflows 32 bits at byte ${offset}`,
      );
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return { value, next: at + 1 };
  }
  throw new SandboxError('module_invalid', `LEB128 integer longer than 5 bytes at byte ${offset}`);
}

/** Encodes an unsigned 32-bit integer as minimal LEB128. */
export function encodeU32Leb(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    const low = rest % 0x80;
    rest = Math.floor(rest / 0x80);
    out.push(rest === 0 ? low : low | 0x80);
  } while (rest !== 0);
  return out;
}
