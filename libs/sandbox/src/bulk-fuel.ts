import { encodeU32Leb, readU32Leb } from './leb128.js';
import { MAX_WASM_PAGES } from './cap-memory.js';
import { DEFAULT_MODULE_LIMITS } from './module-limits.js';

/** `memory.fill`, `memory.copy`, `memory.init` charge one unit of fuel per this many bytes. */
export const BYTES_PER_FUEL = 16;
/** `table.fill`, `table.copy`, `table.init`, `table.grow` charge this much fuel per element. */
export const FUEL_PER_TABLE_ELEMENT = 64;
/** `memory.grow` charges a page as the bytes it makes addressable (and the OS must zero). */
export const FUEL_PER_PAGE = 65536 / BYTES_PER_FUEL;

/**
 * How a bulk instruction is charged: its count operand (the top of the stack, an i32: bytes,
 * elements or pages) shifted left (a price per item) or right (items per unit), after clamping
 * a grow's delta to the most that can ever succeed.
 */
export interface BulkCharge {
  shiftLeft: number;
  shiftRight: number;
  clamp?: number;
}

const MEMORY_GROW = 0x40;
const MISC_PREFIX = 0xfc;
const log2 = Math.log2;
const BYTES: BulkCharge = { shiftLeft: 0, shiftRight: log2(BYTES_PER_FUEL) };
const ELEMENTS: BulkCharge = { shiftLeft: log2(FUEL_PER_TABLE_ELEMENT), shiftRight: 0 };

// Sub-opcodes after 0xFC whose cost grows with their count operand.
const MISC_CHARGES = new Map<number, BulkCharge>([
  [8, BYTES], // memory.init
  [10, BYTES], // memory.copy
  [11, BYTES], // memory.fill
  [12, ELEMENTS], // table.init
  [14, ELEMENTS], // table.copy
  // table.grow: a delta above the largest table allowed can only fail.
  [15, { ...ELEMENTS, clamp: DEFAULT_MODULE_LIMITS.tableEntries }],
  [17, ELEMENTS], // table.fill
]);
// A delta above the 65536 pages of a 32-bit memory can only fail.
const MEMORY_GROW_CHARGE: BulkCharge = {
  shiftLeft: log2(FUEL_PER_PAGE),
  shiftRight: 0,
  clamp: MAX_WASM_PAGES,
};

/** The charge of the instruction at `at` (which the caller has decoded), if its cost grows with an operand. */
export function bulkChargeAt(body: Uint8Array, at: number): BulkCharge | undefined {
  if (body[at] === MEMORY_GROW) return MEMORY_GROW_CHARGE;
  // Decoded, not read as one byte: a padded LEB128 sub-opcode must not slip past unmetered.
  if (body[at] === MISC_PREFIX) return MISC_CHARGES.get(readU32Leb(body, at + 1).value);
  return undefined;
}

/**
 * Code to insert just before a bulk instruction: keeps its count operand (through `local`, an
 * i32 local of the function), subtracts the charge from the i64 global `fuel` and traps
 * (`unreachable`) if that leaves it below zero, so the instruction never runs unpaid.
 */
export function bulkChargeCode(charge: BulkCharge, local: number, fuel: number): Uint8Array {
  const l = encodeU32Leb(local);
  const g = encodeU32Leb(fuel);
  const get = [0x20, ...l]; // local.get
  const count =
    charge.clamp === undefined
      ? get
      : // min(n, clamp) as select(n, clamp, n < clamp)
        [...get, ...i32Const(charge.clamp), ...get, ...i32Const(charge.clamp), 0x49, 0x1b];
  const scale = [
    ...(charge.shiftLeft ? [0x42, charge.shiftLeft, 0x86] : []), // i64.const, i64.shl
    ...(charge.shiftRight ? [0x42, charge.shiftRight, 0x88] : []), // i64.const, i64.shr_u
  ];
  return Uint8Array.of(
    ...[0x22, ...l], // local.tee: the operand stays for the instruction
    ...[0x23, ...g], // global.get fuel
    ...count,
    0xad, // i64.extend_i32_u
    ...scale,
    ...[0x7d, 0x24, ...g], // i64.sub, global.set fuel
    ...[0x23, ...g, 0x42, 0x00, 0x53], // global.get fuel, i64.const 0, i64.lt_s
    ...[0x04, 0x40, 0x00, 0x0b], // if (empty block type) unreachable end
  );
}

// `i32.const value` for a positive value: signed LEB128, so a last byte with bit 6 set needs one more.
function i32Const(value: number): number[] {
  const out = encodeU32Leb(value);
  if (out[out.length - 1] & 0x40) {
    out[out.length - 1] |= 0x80;
    out.push(0);
  }
  return [0x41, ...out];
}
