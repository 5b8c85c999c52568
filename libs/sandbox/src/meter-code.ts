import { bulkChargeAt, bulkChargeCode, type BulkCharge } from './bulk-fuel.js';
import { instructionCost } from './instruction-costs.js';
import { instructionEnd } from './instruction-decoder.js';
import { encodeU32Leb, readU32Leb } from './leb128.js';
import { SandboxError } from './sandbox-error.js';
import { readValueType } from './wasm-types.js';

const LOOP = 0x03;
const CALL = 0x10;
const CALL_INDIRECT = 0x11;
const RETURN_CALL = 0x12;
const RETURN_CALL_INDIRECT = 0x13;
const I32 = 0x7f;
const END = 0x0b;
const DELEGATE = 0x18; // closes a legacy `try` instead of its `end`
const IF = 0x04;
const TRY = 0x06;
const TRY_TABLE = 0x1f;
const BR = 0x0c;
const BR_IF = 0x0d;
const BR_TABLE = 0x0e;
// What scanBody keeps of each open block: whether branches or exceptions join there.
const OPEN_JOINED = 1;
// block, loop, if, try, try_table: each opens a level closed by an `end`.
const BLOCK_OPENERS = new Set([0x02, 0x03, 0x04, 0x06, 0x1f]);

/**
 * The most work one unit of fuel pays for, in instructions (and locals zeroed on entry): a piece
 * of code that may run this much between two checks is charged one unit per this many (see
 * {@link meterCodeSection}). Ordinary loop bodies and helpers are far smaller, so they cost one
 * unit per turn and nothing, as before the limit existed.
 */
export const FUEL_INSTRUCTIONS_PER_UNIT = 1000;
const K = FUEL_INSTRUCTIONS_PER_UNIT;

/**
 * `if (fuel <= 0) unreachable; fuel -= 1` on the i64 global `fuel`, or for a charge of more than
 * one unit `fuel -= units; if (fuel < 0) unreachable`, which leaves the budget spent (at or below
 * zero, as the host reads a spent budget) when it traps.
 */
function fuelCheck(fuel: number, units: number): Uint8Array {
  const global = encodeU32Leb(fuel);
  if (units > 1)
    return Uint8Array.of(
      ...[0x23, ...global, 0x42, ...encodeI64Leb(units), 0x7d, 0x24, ...global], // fuel -= units
      ...[0x23, ...global, 0x42, 0x00, 0x53], // global.get, i64.const 0, i64.lt_s
      ...[0x04, 0x40, 0x00, 0x0b], // if (empty block type) unreachable end
    );
  return Uint8Array.of(
    ...[0x23, ...global, 0x42, 0x00, 0x57], // global.get, i64.const 0, i64.le_s
    ...[0x04, 0x40, 0x00, 0x0b], // if (empty block type) unreachable end
    // global.get, i64.const 1, i64.sub, global.set
    ...[0x23, ...global, 0x42, 0x01, 0x7d, 0x24, ...global],
  );
}

/** Bytes of {@link fuelCheck}: both forms are three global accesses and 9 bytes besides the charge. */
function fuelCheckBytes(fuel: number, units: number): number {
  return 3 * (1 + encodeU32Leb(fuel).length) + 9 + (units > 1 ? encodeI64Leb(units).length : 1);
}

/** Signed LEB128 of a non-negative integer `value` (exact up to 2^53). */
function encodeI64Leb(value: number): number[] {
  const out: number[] = [];
  for (let rest = value; ;) {
    const byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest === 0 && (byte & 0x40) === 0) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** Units of fuel a check charges for code of cost `cost`: one per K or part of it, at least one. */
const unitsFor = (cost: number) => Math.max(1, Math.ceil(cost / K));

// Flags of a scanned function.
const HAS_LOOP = 1;
const CALLS_PLUGIN_CODE = 2; // calls a defined function directly
const HAS_BULK = 4; // gets the scratch local
const ALWAYS_CHECKED = 8; // a loop, an indirect call, or an own cost over K
const CHECKED = 16; // its entry is checked (see meterCodeSection)

/**
 * What the metering learns of a code section, kept in typed arrays (a few numbers per function,
 * nothing per instruction): the sandbox process's main thread, whose heap is a few dozen MiB,
 * meters modules of up to the code limit.
 */
export interface CodeProfile {
  /** Offsets in the payload where each body starts and ends. */
  starts: Uint32Array;
  ends: Uint32Array;
  /** Where each body's instructions start (past its locals). */
  codeStarts: Uint32Array;
  flags: Uint8Array;
  /** Bytes of each body once metered (its loop checks at what they charge), without the entry check. */
  meteredBytes: Float64Array;
  /** Deepest nesting of blocks (block, loop, if, try, try_table) in each body. */
  depths: Uint32Array;
  /**
   * Blocks in each body, once metered, where control flow joins: every if, try and try_table,
   * each block a branch names (a try_table names, conservatively, every block open around it),
   * every loop twice (its header, and the `if` of its fuel check), each bulk instruction's charge
   * (an `if`) and the entry check.
   */
  joinBlocks: Uint32Array;
  /** Locals each body declares, parameters excluded. */
  locals: Float64Array;
  /**
   * Each function's own cost: its instructions (each as {@link instructionCost} counts it: a
   * call of a defined function as one) and the locals it zeroes on entry.
   */
  own: Float64Array;
  /** Inclusive cost of each unchecked function (its own and its unchecked callees'); 0 if checked. */
  inclusive: Float64Array;
  /** The largest inclusive cost of an unchecked function: what an indirect call may run free. */
  largestUnchecked: number;
  /** Units each function's entry check charges (1 for an unchecked function, were it checked). */
  entryUnits: Float64Array;
  /** Index of the fuel global the checks use. */
  fuel: number;
}

/**
 * Reads a code section, decoding every instruction (`module_invalid` for any it cannot meter),
 * and measures what the metering will write and what the compiler will get: which functions are
 * checked and what each check charges (see {@link meterCodeSection}), each body's size once
 * metered, nesting depth and locals. Memory is proportional to the number of functions (and,
 * while one body is read, to the loops open in it).
 */
export function profileCodeSection(
  payload: Uint8Array,
  importedFunctions: number,
  fuel: number,
  paramCounts: readonly number[],
): CodeProfile {
  const count = readU32Leb(payload, 0);
  if (count.value !== paramCounts.length)
    throw new SandboxError('module_invalid', 'the code and function sections disagree');
  const n = count.value;
  const profile: CodeProfile = {
    starts: new Uint32Array(n),
    ends: new Uint32Array(n),
    codeStarts: new Uint32Array(n),
    flags: new Uint8Array(n),
    meteredBytes: new Float64Array(n),
    depths: new Uint32Array(n),
    joinBlocks: new Uint32Array(n),
    locals: new Float64Array(n),
    own: new Float64Array(n),
    inclusive: new Float64Array(n),
    largestUnchecked: 0,
    entryUnits: new Float64Array(n).fill(1),
    fuel,
  };
  let at = count.next;
  for (let i = 0; i < n; i++) {
    const functionIndex = importedFunctions + i;
    const size = readU32Leb(payload, at);
    const end = size.next + size.value;
    if (end > payload.length)
      throw new SandboxError('module_invalid', `function ${functionIndex} runs past the code`);
    profile.starts[i] = size.next;
    profile.ends[i] = end;
    inFunction(functionIndex, () =>
      scanBody(payload, i, importedFunctions, fuel, paramCounts[i], profile),
    );
    at = end;
  }
  if (at !== payload.length)
    throw new SandboxError('module_invalid', 'code section has trailing bytes');
  markChecked(payload, profile, importedFunctions);
  for (let i = 0; i < n; i++) {
    // Refused by the nesting limit (module-limits.ts) before any metering; its loops are not read.
    if (!(profile.flags[i] & CHECKED) || profile.depths[i] > MAX_METERED_NESTING) continue;
    profile.entryUnits[i] = chargeRegions(payload, profile, i, importedFunctions, (_, units) => {
      profile.meteredBytes[i] += fuelCheckBytes(fuel, units);
    });
  }
  return profile;
}

/** The bytes of function `i` (of the defined ones) once metered, its entry check included or not. */
export function meteredBodyBytes(profile: CodeProfile, i: number, checkEntry: boolean): number {
  return (
    profile.meteredBytes[i] + (checkEntry ? fuelCheckBytes(profile.fuel, profile.entryUnits[i]) : 0)
  );
}

/**
 * Rewrites a code section so that each loop turn, and each entry of a function that needs it,
 * spends fuel from the i64 global `fuel`, trapping once it is spent. Function exits are not
 * counted.
 *
 * Which functions are checked: a function with a loop or an indirect call is always checked, and
 * so is one whose own cost (instructions plus locals to zero on entry) exceeds K =
 * {@link FUEL_INSTRUCTIONS_PER_UNIT}. Any other function runs unchecked when it calls only
 * imports (host calls, bounded by the host-call limit) and functions that either call no plugin
 * code or are checked, and its inclusive cost (its own plus that of each call site of an
 * unchecked callee) is at most K; otherwise it is checked. Every cycle of calls then passes
 * through a checked function, so no run is unbounded. Small helpers called from hot loops
 * (accessors with an error path) so cost nothing.
 *
 * What a check charges: the cost of the code it pays for, rounded up to whole units of K. A loop
 * header pays for the loop's body outside the loops nested in it; a checked function's entry for
 * everything outside its loops, and its locals. A region's cost counts its instructions, the
 * inclusive cost of each call site of an unchecked function, and for each indirect call the
 * largest inclusive cost of any unchecked function of the module; an instruction whose fixed cost is
 * far above a plain one's (a throw, a call of an import, a bulk operation of nothing) counts as
 * that cost in plain instructions (instruction-costs.ts). So loop
 * bodies and helpers under K instructions cost one unit per turn or entry and nothing, while the
 * work one unit buys is bounded: a call from the host runs at most K * (units charged + 1)
 * instructions and locals zeroed (the one is an unchecked export the host enters, at most K),
 * whatever the function sizes.
 *
 * Instructions whose work grows with an operand (bulk memory and table operations, both grows)
 * are charged in proportion, inline, before they run, in every function (see bulk-fuel.ts); a
 * function holding one gets an extra i32 local. `paramCounts` are the parameter counts of the
 * defined functions, in order. Writes straight into one buffer of the exact output size: the
 * only memory besides it is {@link profileCodeSection}'s, per function, and the units of the
 * loops of the body being written.
 */
export function meterCodeSection(
  payload: Uint8Array,
  importedFunctions: number,
  fuel: number,
  paramCounts: readonly number[],
  profile: CodeProfile = profileCodeSection(payload, importedFunctions, fuel, paramCounts),
): Uint8Array<ArrayBuffer> {
  const n = profile.flags.length;
  const checked = (i: number) => (profile.flags[i] & CHECKED) !== 0;
  const header = encodeU32Leb(n);
  let total = header.length;
  for (let i = 0; i < n; i++) {
    const size = meteredBodyBytes(profile, i, checked(i));
    total += encodeU32Leb(size).length + size;
  }
  const out = new Uint8Array(total);
  out.set(header, 0);
  let to = header.length;
  for (let i = 0; i < n; i++) {
    const size = meteredBodyBytes(profile, i, checked(i));
    const prefix = encodeU32Leb(size);
    out.set(prefix, to);
    to += prefix.length;
    const written = writeMeteredBody(
      payload,
      profile,
      i,
      importedFunctions,
      paramCounts[i],
      fuel,
      out,
      to,
    );
    if (written - to !== size)
      throw new SandboxError('module_invalid', `function ${importedFunctions + i} metered wrongly`);
    to = written;
  }
  return out;
}

function scanBody(
  payload: Uint8Array,
  i: number,
  importedFunctions: number,
  fuel: number,
  params: number,
  profile: CodeProfile,
): void {
  const start = profile.starts[i];
  const body = payload.subarray(start, profile.ends[i]);
  const { codeStart, locals } = readLocals(body);
  const scratch = params + locals;
  let flags = 0;
  let extra = 0;
  let depth = 0;
  let deepest = 0;
  // OPEN_JOINED of each open block, one byte per block open.
  let open = new Uint8Array(64);
  // Every block open below this depth is one a try_table names (marking each at the try_table
  // would cost the depth each time: quadratic in nested try_tables).
  let joinedBelow = 0;
  let joins = 1; // the entry check
  let instructions = 0;
  // The byte, copy and table charges are shared objects, the same code all through a body.
  const chargeLengths = new Map<BulkCharge, number>();
  for (let at = codeStart; at < body.length;) {
    const next = instructionEnd(body, at);
    const opcode = body[at];
    const charge = bulkChargeAt(body, at);
    instructions += instructionCost(body, at, importedFunctions);
    if (charge) {
      flags |= HAS_BULK;
      let length = chargeLengths.get(charge);
      if (length === undefined) {
        length = bulkChargeCode(charge, scratch, fuel).length;
        if (!charge.size) chargeLengths.set(charge, length);
      }
      extra += length;
      joins++; // the charge's check
    } else if (opcode === LOOP) flags |= HAS_LOOP | ALWAYS_CHECKED;
    else if (opcode === CALL_INDIRECT || opcode === RETURN_CALL_INDIRECT) flags |= ALWAYS_CHECKED;
    else if (opcode === CALL || opcode === RETURN_CALL) {
      if (readU32Leb(body, at + 1).value >= importedFunctions) flags |= CALLS_PLUGIN_CODE;
    }
    if (BLOCK_OPENERS.has(opcode)) {
      if (depth === open.length) open = grown(open);
      if (opcode === TRY_TABLE && depth > joinedBelow) joinedBelow = depth;
      open[depth] =
        opcode === LOOP || opcode === IF || opcode === TRY || opcode === TRY_TABLE
          ? OPEN_JOINED
          : 0;
      if (opcode === LOOP) joins++; // its fuel check
      depth++;
      if (depth > deepest) deepest = depth;
    } else if ((opcode === END || opcode === DELEGATE) && depth > 0) {
      depth--;
      if (open[depth] & OPEN_JOINED || depth < joinedBelow) joins++;
      // A block opened at this depth from now on is not around the try_table.
      if (joinedBelow > depth) joinedBelow = depth;
    } else if (opcode === BR || opcode === BR_IF)
      joinAt(open, depth, readU32Leb(body, at + 1).value);
    else if (opcode === BR_TABLE) {
      const count = readU32Leb(body, at + 1);
      for (let t = 0, p = count.next; t <= count.value; t++) {
        const label = readU32Leb(body, p);
        joinAt(open, depth, label.value);
        p = label.next;
      }
    }
    at = next;
  }
  const own = locals + (flags & HAS_BULK ? 1 : 0) + instructions;
  if (own > K) flags |= ALWAYS_CHECKED;
  const localsBytes = flags & HAS_BULK ? withScratchLocalBytes(body, codeStart) : codeStart;
  profile.codeStarts[i] = codeStart;
  profile.flags[i] = flags;
  // The loop checks are added once what they charge is known (profileCodeSection).
  profile.meteredBytes[i] = localsBytes + (body.length - codeStart) + extra;
  profile.depths[i] = deepest;
  profile.joinBlocks[i] = joins;
  profile.locals[i] = locals;
  profile.own[i] = own;
}

/**
 * Marks the functions whose entry is checked (see meterCodeSection) and the inclusive cost of the
 * others. Calls are read again only for functions that call plugin code and are not always
 * checked (at most K instructions each), so nothing is kept per call.
 */
function markChecked(payload: Uint8Array, profile: CodeProfile, importedFunctions: number): void {
  const { flags, own, inclusive } = profile;
  const n = flags.length;
  const alwaysChecked = (i: number) => (flags[i] & ALWAYS_CHECKED) !== 0;
  const callsNoPluginCode = (i: number) => !alwaysChecked(i) && !(flags[i] & CALLS_PLUGIN_CODE);
  for (let i = 0; i < n; i++) {
    let cost: number | undefined = own[i];
    if (alwaysChecked(i)) cost = undefined;
    else if (flags[i] & CALLS_PLUGIN_CODE) {
      const body = payload.subarray(profile.starts[i], profile.ends[i]);
      for (let at = profile.codeStarts[i]; at < body.length && cost !== undefined;) {
        const opcode = body[at];
        if (opcode === CALL || opcode === RETURN_CALL) {
          const target = readU32Leb(body, at + 1).value - importedFunctions;
          if (target >= n) cost = undefined;
          else if (target < 0) {
            // a host call
          } else if (callsNoPluginCode(target)) cost += own[target];
          else if (!alwaysChecked(target)) cost = undefined;
        }
        at = instructionEnd(body, at);
      }
    }
    if (cost === undefined || cost > K) flags[i] |= CHECKED;
    else {
      inclusive[i] = cost;
      if (cost > profile.largestUnchecked) profile.largestUnchecked = cost;
    }
  }
}

/**
 * Deepest block nesting whose loops the metering reads (a few numbers per open loop), far above
 * the module limit (ModuleLimits.nestingDepth): a deeper body, refused by that limit anyway, is not
 * read for its loops, which would cost memory in proportion to its depth.
 */
const MAX_METERED_NESTING = 65_536;

/**
 * Reads the regions of checked function `i` that its checks pay for: outside every loop (region
 * of the entry, which runs at most once per call: only a branch to a loop goes backwards), and
 * each loop outside the loops nested in it (which runs at most once per turn). Calls `onLoop`
 * with each loop's number (in order of their headers, from 0) and the units its check charges,
 * as the loop closes; returns the units the entry check charges. Keeps a few numbers per loop
 * open, nothing per instruction.
 */
function chargeRegions(
  payload: Uint8Array,
  profile: CodeProfile,
  i: number,
  importedFunctions: number,
  onLoop: (loop: number, units: number) => void,
): number {
  if (profile.depths[i] > MAX_METERED_NESTING)
    throw new SandboxError(
      'module_invalid',
      `blocks nested ${profile.depths[i]} deep cannot be metered (at most ${MAX_METERED_NESTING})`,
    );
  const body = payload.subarray(profile.starts[i], profile.ends[i]);
  const { inclusive, largestUnchecked } = profile;
  const n = inclusive.length;
  // The entry pays for the locals it zeroes, the scratch local included.
  let entry = profile.locals[i] + (profile.flags[i] & HAS_BULK ? 1 : 0);
  // The loops open: their numbers, the block depth each opened at, and their cost so far.
  let numbers = new Uint32Array(16);
  let depths = new Uint32Array(16);
  let costs = new Float64Array(16);
  let open = 0;
  let loops = 0;
  let depth = 0;
  const close = () => {
    open--;
    onLoop(numbers[open], unitsFor(costs[open]));
  };
  for (let at = profile.codeStarts[i]; at < body.length;) {
    const opcode = body[at];
    let cost = instructionCost(body, at, importedFunctions);
    if (opcode === CALL_INDIRECT || opcode === RETURN_CALL_INDIRECT) cost += largestUnchecked;
    else if (opcode === CALL || opcode === RETURN_CALL) {
      const target = readU32Leb(body, at + 1).value - importedFunctions;
      if (target >= 0 && target < n) cost += inclusive[target];
    }
    if (open > 0) costs[open - 1] += cost;
    else entry += cost;
    if (opcode === LOOP) {
      depth++;
      if (open === numbers.length) {
        numbers = grown(numbers);
        depths = grown(depths);
        costs = grown(costs);
      }
      numbers[open] = loops++;
      depths[open] = depth;
      costs[open] = 0;
      open++;
    } else if (BLOCK_OPENERS.has(opcode)) depth++;
    else if (opcode === END || opcode === DELEGATE) {
      if (open > 0 && depths[open - 1] === depth) close();
      depth--;
    }
    at = instructionEnd(body, at);
  }
  // Loops a malformed body leaves open are charged for what they hold.
  while (open > 0) close();
  return unitsFor(entry);
}

/** Marks the block a branch from `depth` blocks deep to `label` names as one where control joins. */
function joinAt(open: Uint8Array, depth: number, label: number): void {
  if (label < depth) open[depth - 1 - label] |= OPEN_JOINED;
}

function grown<T extends Uint8Array | Uint32Array | Float64Array>(array: T): T {
  const copy = new (array.constructor as new (length: number) => T)(array.length * 2);
  copy.set(array);
  return copy;
}

/** Writes function `i` metered into `out` at `to`; returns the offset past it. */
function writeMeteredBody(
  payload: Uint8Array,
  profile: CodeProfile,
  i: number,
  importedFunctions: number,
  params: number,
  fuel: number,
  out: Uint8Array,
  to: number,
): number {
  const body = payload.subarray(profile.starts[i], profile.ends[i]);
  const codeStart = profile.codeStarts[i];
  const flags = profile.flags[i];
  const hasBulk = (flags & HAS_BULK) !== 0;
  // What each loop's check charges, by loop number: known once the loop is read to its end.
  const loopUnits: number[] = [];
  if (flags & HAS_LOOP)
    chargeRegions(payload, profile, i, importedFunctions, (loop, units) => {
      loopUnits[loop] = units;
    });
  const oneUnit = fuelCheck(fuel, 1);
  const check = (units: number) => (units === 1 ? oneUnit : fuelCheck(fuel, units));
  // The new local comes after the parameters and the declared locals.
  const scratch = params + profile.locals[i];
  let at = to;
  const put = (bytes: Uint8Array) => {
    out.set(bytes, at);
    at += bytes.length;
  };
  const copy = (from: number, until: number) => {
    for (let k = from; k < until; k++) out[at++] = body[k];
  };
  if (hasBulk) {
    const groups = readU32Leb(body, 0);
    put(Uint8Array.from(encodeU32Leb(groups.value + 1)));
    copy(groups.next, codeStart);
    out[at++] = 1;
    out[at++] = I32;
  } else copy(0, codeStart);
  if (flags & CHECKED) put(check(profile.entryUnits[i]));
  // The charge code of the byte, copy and table bulk instructions is the same all through a body.
  const charges = new Map<BulkCharge, Uint8Array>();
  let loops = 0;
  for (let from = codeStart; from < body.length;) {
    const next = instructionEnd(body, from);
    const opcode = body[from];
    const charge = hasBulk ? bulkChargeAt(body, from) : undefined;
    if (charge) {
      let code = charges.get(charge);
      if (!code) {
        code = bulkChargeCode(charge, scratch, fuel);
        if (!charge.size) charges.set(charge, code);
      }
      put(code);
    }
    copy(from, next);
    if (opcode === LOOP) put(check(loopUnits[loops++]));
    from = next;
  }
  return at;
}

/** Bytes of the locals declaration of `body` with one more i32 group of one local. */
function withScratchLocalBytes(body: Uint8Array, codeStart: number): number {
  const groups = readU32Leb(body, 0);
  return encodeU32Leb(groups.value + 1).length + (codeStart - groups.next) + 2;
}

function inFunction<T>(functionIndex: number, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof SandboxError)) throw error;
    throw new SandboxError(error.code, `${error.message} in function ${functionIndex}`);
  }
}

function readLocals(body: Uint8Array): { codeStart: number; locals: number } {
  const groups = readU32Leb(body, 0);
  let at = groups.next;
  let locals = 0;
  for (let i = 0; i < groups.value; i++) {
    const group = readU32Leb(body, at);
    locals += group.value;
    at = readValueType(body, group.next).next;
  }
  return { codeStart: at, locals };
}
