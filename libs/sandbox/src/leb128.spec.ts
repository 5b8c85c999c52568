import { encodeU32Leb, readU32Leb } from './leb128.js';
import { SandboxError } from './sandbox-error.js';

describe('LEB128', () => {
  it.each([
    [0, [0x00]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [65536, [0x80, 0x80, 0x04]],
    [2 ** 32 - 1, [0xff, 0xff, 0xff, 0xff, 0x0f]],
  ])('encodes and decodes %i', (value, bytes) => {
    expect(encodeU32Leb(value)).toEqual(bytes);
    expect(readU32Leb(Uint8Array.from([0xaa, ...bytes]), 1)).toEqual({
      value,
      next: bytes.length + 1,
    });
  });

  it('accepts padded encodings, which the Wasm spec allows', () => {
    expect(readU32Leb(Uint8Array.from([0x81, 0x80, 0x80, 0x80, 0x00]), 0)).toEqual({
      value: 1,
      next: 5,
    });
  });

  it.each([
    ['truncated', [0x80, 0x80]],
    ['wider than 32 bits', [0xff, 0xff, 0xff, 0xff, 0x1f]],
    ['longer than 5 bytes', [0x80, 0x80, 0x80, 0x80, 0x80, 0x00]],
  ])('refuses an integer that is %s', (_case, bytes) => {
    expect(() => readU32Leb(Uint8Array.from(bytes), 0)).toThrow(SandboxError);
  });
});
