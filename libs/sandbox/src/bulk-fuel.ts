import { encodeU32Leb, readU32Leb } from './leb128.js';
import { MAX_WASM_PAGES } from './cap-memory.js';
import { MAX_TABLE_ENTRIES } from './wasm-tables.js';

// What a unit of fuel buys, measured in a plugin worker (Node 20, this 2-core machine under the
// load of parallel test suites, three runs): a metered loop turn takes 0.73 to 1.12 ns. Against that:
// - memory.grow by one page took 4 to 15 µs below 64 MiB, and 8 to 30 ms from 64 MiB on (at
//   1024 and 4096 pages alike); one grow of 1000 pages took 5 to 42 ms. V8 gives the grown
//   memory a new ArrayBuffer and accounts the whole memory as new external memory, which drives
//   a full garbage collection once it passes V8's limit (64 MiB, less with other external
//   memory: with 60 MiB of live Extism blocks, one-page grows at 256 and 512 pages took 1 and
//   1.7 ms). So a grow costs about in proportion to the memory's size after it: 9,600 to
//   26,600 units per page at 1024 pages, 1 ms per 256 pages (about 4,000 per page) lower
//   down. A grow is charged 8192 per page of the memory after it.
// - table.grow by one element took 0.5 µs at 1000 entries, 3.4 µs at 10,000 and 45 to 104 µs at
//   99,000 (V8 copies the table): about one unit per entry held; one grow of 99,999 entries
//   took 160 to 1000 ns an entry. A grow is charged 1024 per element added plus 1 per element
//   the table held.
// - table.fill, table.copy and table.init took 33 to 69 ns an element (one outlier of 421):
//   64 units. memory.fill and memory.copy move about 16 bytes a unit.
// - Whatever its length, each one also costs a fixed amount (memory.fill of zero bytes up to a
//   microsecond): no operand to charge, so it is counted in the static cost a fuel check pays for
//   (instruction-costs.ts).

/** `memory.fill`, `memory.copy`, `memory.init` charge one unit of fuel per this many bytes. */
export const BYTES_PER_FUEL = 16;
/** `table.fill`, `table.copy`, `table.init` charge this much fuel per element. */
export const FUEL_PER_TABLE_ELEMENT = 64;
/** `table.grow` charges this much fuel per element added, plus one per element the table held. */
export const FUEL_PER_GROWN_TABLE_ELEMENT = 1024;
/** `memory.grow` charges this much fuel per page of the memory after the grow (see above). */
export const FUEL_PER_MEMORY_PAGE_AFTER_GROW = 8192;

/**
 * How a bulk instruction is charged: its count operand (the top of the stack, an i32: bytes,
 * elements or pages) shifted left (a price per item) or right (items per unit), after clamping
 * a grow's delta to the most that can ever succeed; for a grow, plus the current size (pushed
 * by `size`, `memory.size` or `table.size` of the grown memory or table) shifted left by
 * `sizeShift`.
 */
export interface BulkCharge {
  shiftLeft: number;
  shiftRight: number;
  clamp?: number;
  size?: { code: readonly number[]; shiftLeft: number };
}

const MEMORY_GROW = 0x40;
const MEMORY_SIZE = 0x3f;
const MISC_PREFIX = 0xfc;
const TABLE_GROW = 15;
const TABLE_SIZE = 16;
const log2 = Math.log2;
const BYTES: BulkCharge = { shiftLeft: 0, shiftRight: log2(BYTES_PER_FUEL) };
const ELEMENTS: BulkCharge = { shiftLeft: log2(FUEL_PER_TABLE_ELEMENT), shiftRight: 0 };

// Sub-opcodes after 0xFC whose cost grows with their count operand (table.grow apart).
const MISC_CHARGES = new Map<number, BulkCharge>([
  [8, BYTES], // memory.init
  [10, BYTES], // memory.copy
  [11, BYTES], // memory.fill
  [12, ELEMENTS], // table.init
  [14, ELEMENTS], // table.copy
  [17, ELEMENTS], // table.fill
]);

/** The charge of the instruction at `at` (which the caller has decoded), if its cost grows with an operand. */
export function bulkChargeAt(body: Uint8Array, at: number): BulkCharge | undefined {
  if (body[at] === MEMORY_GROW) {
    const memory = readU32Leb(body, at + 1).value;
    const shift = log2(FUEL_PER_MEMORY_PAGE_AFTER_GROW);
    return {
      shiftLeft: shift,
      shiftRight: 0,
      // A delta above the 65536 pages of a 32-bit memory can only fail.
      clamp: MAX_WASM_PAGES,
      size: { code: [MEMORY_SIZE, ...encodeU32Leb(memory)], shiftLeft: shift },
    };
  }
  if (body[at] !== MISC_PREFIX) return undefined;
  // Decoded, not read as one byte: a padded LEB128 sub-opcode must not slip past unmetered.
  const sub = readU32Leb(body, at + 1);
  if (sub.value !== TABLE_GROW) return MISC_CHARGES.get(sub.value);
  const table = readU32Leb(body, sub.next).value;
  return {
    shiftLeft: log2(FUEL_PER_GROWN_TABLE_ELEMENT),
    shiftRight: 0,
    // A delta above the largest table allowed can only fail.
    clamp: MAX_TABLE_ENTRIES,
    size: { code: [MISC_PREFIX, TABLE_SIZE, ...encodeU32Leb(table)], shiftLeft: 0 },
  };
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
  // The current size as a second charge, subtracted like the first.
  const size = charge.size
    ? [...charge.size.code, 0xad, ...shl(charge.size.shiftLeft), 0x7d] // i64.extend_i32_u, i64.sub
    : [];
  return Uint8Array.of(
    ...[0x22, ...l], // local.tee: the operand stays for the instruction
    ...[0x23, ...g], // global.get fuel
    ...count,
    0xad, // i64.extend_i32_u
    ...shl(charge.shiftLeft),
    ...(charge.shiftRight ? [0x42, charge.shiftRight, 0x88] : []), // i64.const, i64.shr_u
    0x7d, // i64.sub
    ...size,
    ...[0x24, ...g], // global.set fuel
    ...[0x23, ...g, 0x42, 0x00, 0x53], // global.get fuel, i64.const 0, i64.lt_s
    ...[0x04, 0x40, 0x00, 0x0b], // if (empty block type) unreachable end
  );
}

// i64.const shift, i64.shl (nothing for 0); shifts stay below 64, one LEB128 byte.
const shl = (shift: number) => (shift ? [0x42, shift, 0x86] : []);

// `i32.const value` for a positive value: signed LEB128, so a last byte with bit 6 set needs one more.
function i32Const(value: number): number[] {
  const out = encodeU32Leb(value);
  if (out[out.length - 1] & 0x40) {
    out[out.length - 1] |= 0x80;
    out.push(0);
  }
  return [0x41, ...out];
}
