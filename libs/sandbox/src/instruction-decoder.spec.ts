import { instructionEnd } from './instruction-decoder.js';

const NEXT = 0x01; // a nop after the instruction, which must not be read as part of it

describe('instructionEnd', () => {
  it.each([
    ['nop', [0x01]],
    ['block with no result', [0x02, 0x40]],
    ['loop with a value type', [0x03, 0x7f]],
    ['if with a multi-value type index', [0x04, 0x81, 0x01]],
    ['legacy try', [0x06, 0x40]],
    ['legacy catch', [0x07, 0x00]],
    ['delegate', [0x18, 0x02]],
    ['br_table with two targets and a default', [0x0e, 0x02, 0x00, 0x81, 0x01, 0x02]],
    ['call', [0x10, 0x80, 0x01]],
    ['call_indirect', [0x11, 0x01, 0x00]],
    ['return_call', [0x12, 0x05]],
    ['return_call_indirect', [0x13, 0x01, 0x00]],
    ['select with types', [0x1c, 0x02, 0x7f, 0x7b]],
    ['try_table with each kind of catch', [0x1f, 0x40, 0x04, 0, 0, 1, 1, 0, 1, 2, 0, 3, 1]],
    ['throw_ref', [0x0a]],
    ['local.get', [0x20, 0x00]],
    ['table.get', [0x25, 0x00]],
    ['i64.load with alignment and offset', [0x29, 0x03, 0x80, 0x80, 0x04]],
    ['memory.grow', [0x40, 0x00]],
    ['i32.const', [0x41, 0xff, 0x7f]],
    ['i64.const', [0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f]],
    ['f32.const', [0x43, 0, 0, 0x80, 0x3f]],
    ['f64.const', [0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]],
    ['i32.extend8_s', [0xc0]],
    ['ref.null func', [0xd0, 0x70]],
    ['ref.func', [0xd2, 0x03]],
    ['i32.trunc_sat_f32_s', [0xfc, 0x00]],
    ['memory.init', [0xfc, 0x08, 0x00, 0x00]],
    ['memory.copy', [0xfc, 0x0a, 0x00, 0x00]],
    ['table.fill', [0xfc, 0x11, 0x00]],
    ['v128.load', [0xfd, 0x00, 0x04, 0x00]],
    ['v128.const', [0xfd, 0x0c, ...Array<number>(16).fill(0x0b)]],
    ['i8x16.shuffle', [0xfd, 0x0d, ...Array<number>(16).fill(0x03)]],
    ['i32x4.extract_lane', [0xfd, 0x1b, 0x03]],
    ['v128.load32_lane', [0xfd, 0x56, 0x02, 0x10, 0x01]],
    ['v128.load64_zero', [0xfd, 0x5d, 0x03, 0x00]],
    ['i32x4.dot_i16x8_s, a two-byte sub-opcode', [0xfd, 0xba, 0x01]],
    ['f64x2.convert_low_i32x4_u', [0xfd, 0xff, 0x01]],
  ])('decodes %s', (_name, bytes) => {
    expect(instructionEnd(Uint8Array.from([NEXT, ...bytes, NEXT]), 1)).toBe(bytes.length + 1);
  });

  it.each([
    ['an atomic instruction', [0xfe, 0x10, 0x02, 0x00], 'unsupported instruction 0xfe'],
    ['an unassigned opcode', [0x27], 'unsupported instruction 0x27'],
    ['call_ref (typed function references)', [0x14, 0x00], 'unsupported instruction 0x14'],
    ['a GC instruction', [0xfb, 0x00, 0x00], 'unsupported instruction 0xfb'],
    ['an unknown 0xFC sub-opcode', [0xfc, 0x12, 0x00], 'unsupported instruction 0xfc 0x12'],
    ['an unassigned SIMD sub-opcode', [0xfd, 0x9a, 0x01], 'unsupported instruction 0xfd 0x9a'],
    ['a relaxed SIMD instruction', [0xfd, 0x80, 0x02], 'unsupported instruction 0xfd 0x100'],
    ['a GC heap type', [0xd0, 0x6e], 'unsupported heap type in instruction 0xd0'],
    ['a memory index (multi-memory)', [0x28, 0x42, 0x01, 0x00], 'unsupported memory index'],
    ['a typed-reference block type', [0x02, 0x63, 0x70], 'unsupported block type 0x63'],
    ['an unknown catch clause', [0x1f, 0x40, 0x01, 0x04, 0x00], 'catch clause 0x04'],
    ['a truncated f64.const', [0x44, 0, 0, 0], 'truncated instruction 0x44'],
    ['a truncated memory argument', [0x28, 0x02], 'truncated LEB128'],
    ['a truncated block type', [0x03], 'truncated block type'],
    ['a truncated i32.const', [0x41, 0x80], 'truncated LEB128'],
  ])('refuses %s as module_invalid', (_name, bytes, message) => {
    expect(() => instructionEnd(Uint8Array.from(bytes), 0)).toThrow(
      expect.objectContaining({
        code: 'module_invalid',
        message: expect.stringContaining(message),
      }),
    );
  });
});
