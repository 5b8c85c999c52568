import { readU32Leb } from './leb128.js';

// What an instruction costs whatever its operands, in plain instructions of 1 ns (plain code ran
// 0.3 to 1.3 ns an instruction), measured in Node 20 on this 2-core machine under load: medians
// of 7 runs of 20,000 loop turns of 50 copies, three runs (figures in
// docs/adr/0003-executor-sandbox.md). Instructions whose work grows with an operand are also
// charged in proportion to it (bulk-fuel.ts); these are what is left when that operand is 0,
// counted in the static cost a fuel check pays for (meter-code.ts). Calls, indirect calls, tail
// calls, table.get, the drops and sizes took 0 to 5.5 ns: one instruction each.

/**
 * `throw` (and `rethrow`, `throw_ref`: each throws again) with the `catch` that takes it: V8
 * builds an exception object and unwinds to the handler, 0.85 to 4.2 µs with `catch`, 1.5 to
 * 6.3 µs with `catch_all`. A `try` no throw leaves costs nothing, and `delegate` nothing beyond
 * its throw.
 */
const THROW_INSTRUCTIONS = 5000;
/**
 * `memory.fill` of zero bytes: 190 to 1,160 ns (of one byte, 8 ns); `memory.grow` by 0: 230 to
 * 790 ns. Under K (meter-code.ts) by a margin, so a loop-free helper around one still runs
 * unchecked, paying only its charge per byte or page.
 */
const SLOW_RUNTIME_CALL_INSTRUCTIONS = 900;
/**
 * `memory.copy`, `memory.init`, `table.init`, `table.copy`, `table.fill` of nothing, `table.grow`
 * by 0 and `table.set`: 6 to 55 ns.
 */
const RUNTIME_CALL_INSTRUCTIONS = 64;
/**
 * A call of an imported function: the Extism kernel's `length` or `load_u8` (the cheapest host
 * calls, not counted by the host-call limit) took 88 to 160 ns through the sandbox.
 */
const HOST_CALL_INSTRUCTIONS = 200;

const THROW = 0x08;
const RETHROW = 0x09;
const THROW_REF = 0x0a;
const CALL = 0x10;
const RETURN_CALL = 0x12;
const TABLE_SET = 0x26;
const MEMORY_GROW = 0x40;
const MISC_PREFIX = 0xfc;

// Sub-opcodes after 0xFC with a fixed cost far above a plain instruction's.
const MISC_COSTS = new Map<number, number>([
  [8, RUNTIME_CALL_INSTRUCTIONS], // memory.init
  [10, RUNTIME_CALL_INSTRUCTIONS], // memory.copy
  [11, SLOW_RUNTIME_CALL_INSTRUCTIONS], // memory.fill
  [12, RUNTIME_CALL_INSTRUCTIONS], // table.init
  [14, RUNTIME_CALL_INSTRUCTIONS], // table.copy
  [15, RUNTIME_CALL_INSTRUCTIONS], // table.grow
  [17, RUNTIME_CALL_INSTRUCTIONS], // table.fill
]);

/**
 * What the instruction at `at` of a function body (decoded by the caller) counts as in the static
 * cost of the code around it, in plain instructions: 1 for most, more for those whose fixed cost
 * is far above a plain instruction's (a throw, a call of an import, bulk operations of nothing).
 * A call of a defined function counts 1 here; what the callee runs is counted where it is checked
 * (meter-code.ts). `importedFunctions` is the number of imported functions (the lowest indexes).
 */
export function instructionCost(body: Uint8Array, at: number, importedFunctions: number): number {
  const opcode = body[at];
  switch (opcode) {
    case THROW:
    case RETHROW:
    case THROW_REF:
      return THROW_INSTRUCTIONS;
    case CALL:
    case RETURN_CALL:
      return readU32Leb(body, at + 1).value < importedFunctions ? HOST_CALL_INSTRUCTIONS : 1;
    case TABLE_SET:
      return RUNTIME_CALL_INSTRUCTIONS;
    case MEMORY_GROW:
      return SLOW_RUNTIME_CALL_INSTRUCTIONS;
    case MISC_PREFIX:
      // Decoded, not read as one byte: a padded LEB128 sub-opcode must not slip past unpriced.
      return MISC_COSTS.get(readU32Leb(body, at + 1).value) ?? 1;
    default:
      return 1;
  }
}
