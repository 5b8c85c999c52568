import { encodeU32Leb, readSignedLeb, readU32Leb } from './leb128.js';
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

describe('signed LEB128', () => {
  it.each([
    [32, [0x00], 0],
    [32, [0x7f], -1],
    [32, [0x3f], 63],
    [32, [0xc0, 0x00], 64],
    [32, [0x40], -64],
    [32, [0x80, 0x80, 0x80, 0x80, 0x78], -(2 ** 31)],
    [32, [0xff, 0xff, 0xff, 0xff, 0x07], 2 ** 31 - 1],
    [33, [0x80, 0x80, 0x80, 0x80, 0x0f], 15 * 2 ** 28],
    [33, [0x80, 0x80, 0x80, 0x80, 0x70], -(2 ** 32)],
    [33, [0xff, 0xff, 0xff, 0xff, 0x0f], 2 ** 32 - 1],
    [64, [0x7f], -1],
    [64, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f], -(2 ** 63)],
  ] as const)('decodes a %i-bit integer %j', (bits, bytes, value) => {
    expect(readSignedLeb(Uint8Array.from([0xaa, ...bytes]), 1, bits)).toEqual({
      value,
      next: bytes.length + 1,
    });
  });

  it.each([
    ['truncated', 32, [0x80, 0x80]],
    ['wider than 32 bits', 32, [0x80, 0x80, 0x80, 0x80, 0x08]],
    ['a 32-bit one whose unused bits do not extend the sign', 32, [0xff, 0xff, 0xff, 0xff, 0x4f]],
    ['longer than 5 bytes', 32, [0x80, 0x80, 0x80, 0x80, 0x80, 0x00]],
    ['wider than 33 bits', 33, [0x80, 0x80, 0x80, 0x80, 0x20]],
    ['wider than 64 bits', 64, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
  ] as const)('refuses an integer that is %s', (_case, bits, bytes) => {
    expect(() => readSignedLeb(Uint8Array.from(bytes), 0, bits)).toThrow(SandboxError);
  });
});
