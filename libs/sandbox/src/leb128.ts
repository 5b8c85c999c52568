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

/**
 * Decodes a signed LEB128 integer of at most `bits` bits at `offset`, checking its length and that
 * the unused bits of its last byte extend the sign, as the Wasm spec requires. `value` is exact up
 * to 53 bits; wider integers (i64.const) are only skipped.
 */
export function readSignedLeb(bytes: Uint8Array, offset: number, bits: 32 | 33 | 64): Decoded {
  const maxLength = Math.ceil(bits / 7);
  let value = 0;
  for (let i = 0; i < maxLength; i++) {
    const at = offset + i;
    if (at >= bytes.length)
      throw new SandboxError('module_invalid', `truncated LEB128 integer at byte ${offset}`);
    const byte = bytes[at];
    if (i === maxLength - 1 && !extendsSign(byte, bits - 7 * i))
      throw new SandboxError(
        'module_invalid',
        `LEB128 integer overflows ${bits} bits at byte ${offset}`,
      );
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      const width = 7 * (i + 1);
      return { value: byte & 0x40 ? value - 2 ** width : value, next: at + 1 };
    }
  }
  throw new SandboxError(
    'module_invalid',
    `LEB128 integer longer than ${maxLength} bytes at byte ${offset}`,
  );
}

// The last byte holds `used` value bits; the ones above them, up to bit 6, must copy the sign bit.
function extendsSign(byte: number, used: number): boolean {
  const unused = (0x7f >> (used - 1)) << (used - 1);
  return (byte & unused) === 0 || (byte & unused) === unused;
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
