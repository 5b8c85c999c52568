// What follows each opcode the sandbox accepts, for the features Node 20 runs and AssemblyScript
// and other toolchains emit (MVP, sign extension, non-trapping float-to-int, bulk memory, reference
// types, multi-value, SIMD, tail calls, exception handling). Anything missing is refused.

/** The immediates that follow an opcode; `Unsupported` marks opcodes the sandbox refuses. */
export const Immediate = {
  Unsupported: 0,
  None: 1,
  Index: 2,
  TwoIndices: 3,
  BlockType: 4,
  BranchTable: 5,
  MemArg: 6,
  I32: 7,
  I64: 8,
  Bytes4: 9,
  Bytes8: 10,
  Bytes16: 11,
  Lane: 12,
  MemArgLane: 13,
  ValueTypes: 14,
  HeapType: 15,
  TryTable: 16,
  /** 0xFC or 0xFD: a u32 sub-opcode follows, looked up in {@link MISC} or {@link SIMD}. */
  Prefix: 17,
} as const;
export type Immediate = (typeof Immediate)[keyof typeof Immediate];

type Range = readonly [first: number, last: number, immediate: Immediate];

function opcodeTable(size: number, ranges: readonly Range[]): Uint8Array {
  const table = new Uint8Array(size);
  for (const [first, last, immediate] of ranges) table.fill(immediate, first, last + 1);
  return table;
}

const { None, Index, TwoIndices, BlockType, MemArg, Bytes16, Lane, MemArgLane } = Immediate;

/** Single-byte opcodes. */
export const OPCODES = opcodeTable(256, [
  [0x00, 0x01, None], // unreachable, nop
  [0x02, 0x04, BlockType], // block, loop, if
  [0x05, 0x05, None], // else
  [0x06, 0x06, BlockType], // try (legacy exceptions)
  [0x07, 0x09, Index], // catch tag, throw tag, rethrow label
  [0x0a, 0x0b, None], // throw_ref, end
  [0x0c, 0x0d, Index], // br, br_if
  [0x0e, 0x0e, Immediate.BranchTable],
  [0x0f, 0x0f, None], // return
  [0x10, 0x10, Index], // call
  [0x11, 0x11, TwoIndices], // call_indirect type table
  [0x12, 0x12, Index], // return_call
  [0x13, 0x13, TwoIndices], // return_call_indirect type table
  [0x18, 0x18, Index], // delegate label
  [0x19, 0x1b, None], // catch_all, drop, select
  [0x1c, 0x1c, Immediate.ValueTypes], // select t*
  [0x1f, 0x1f, Immediate.TryTable],
  [0x20, 0x26, Index], // local.get/set/tee, global.get/set, table.get/set
  [0x28, 0x3e, MemArg], // loads and stores
  [0x3f, 0x40, Index], // memory.size, memory.grow: memory index
  [0x41, 0x41, Immediate.I32],
  [0x42, 0x42, Immediate.I64],
  [0x43, 0x43, Immediate.Bytes4], // f32.const
  [0x44, 0x44, Immediate.Bytes8], // f64.const
  [0x45, 0xc4, None], // numeric operators, sign extension included
  [0xd0, 0xd0, Immediate.HeapType], // ref.null
  [0xd1, 0xd1, None], // ref.is_null
  [0xd2, 0xd2, Index], // ref.func
  [0xfc, 0xfd, Immediate.Prefix],
]);

/** Sub-opcodes after 0xFC. */
export const MISC = opcodeTable(18, [
  [0, 7, None], // i32/i64.trunc_sat_f32/f64_s/u
  [8, 8, TwoIndices], // memory.init data memory
  [9, 9, Index], // data.drop
  [10, 10, TwoIndices], // memory.copy memory memory
  [11, 11, Index], // memory.fill
  [12, 12, TwoIndices], // table.init element table
  [13, 13, Index], // elem.drop
  [14, 14, TwoIndices], // table.copy table table
  [15, 17, Index], // table.grow, table.size, table.fill
]);

/** Sub-opcodes after 0xFD; the gaps are unassigned, relaxed SIMD (0x100 and up) is refused. */
export const SIMD = opcodeTable(256, [
  [0x00, 0x0b, MemArg], // v128.load, the extending and splatting loads, v128.store
  [0x0c, 0x0d, Bytes16], // v128.const, i8x16.shuffle
  [0x0e, 0x14, None], // i8x16.swizzle, splats
  [0x15, 0x22, Lane], // extract_lane, replace_lane
  [0x23, 0x53, None], // comparisons, bitwise operators, v128.any_true
  [0x54, 0x5b, MemArgLane], // v128.load*_lane, v128.store*_lane
  [0x5c, 0x5d, MemArg], // v128.load32_zero, v128.load64_zero
  [0x5e, 0x99, None],
  [0x9b, 0xa1, None],
  [0xa3, 0xa4, None],
  [0xa7, 0xae, None],
  [0xb1, 0xb1, None],
  [0xb5, 0xba, None],
  [0xbc, 0xc1, None],
  [0xc3, 0xc4, None],
  [0xc7, 0xce, None],
  [0xd1, 0xd1, None],
  [0xd5, 0xe1, None],
  [0xe3, 0xed, None],
  [0xef, 0xff, None],
]);
