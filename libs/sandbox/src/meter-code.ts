import { bulkChargeAt, bulkChargeCode, type BulkCharge } from './bulk-fuel.js';
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
// block, loop, if, try, try_table: each opens a level closed by an `end`.
const BLOCK_OPENERS = new Set([0x02, 0x03, 0x04, 0x06, 0x1f]);

/** `if (fuel <= 0) unreachable; fuel -= 1` on the i64 global `fuel`. */
function fuelCheck(fuel: number): Uint8Array {
  const global = encodeU32Leb(fuel);
  return Uint8Array.of(
    ...[0x23, ...global, 0x42, 0x00, 0x57], // global.get, i64.const 0, i64.le_s
    ...[0x04, 0x40, 0x00, 0x0b], // if (empty block type) unreachable end
    // global.get, i64.const 1, i64.sub, global.set
    ...[0x23, ...global, 0x42, 0x01, 0x7d, 0x24, ...global],
  );
}

// Flags of a scanned function.
const HAS_LOOP_OR_INDIRECT = 1; // always checked at entry
const CALLS_PLUGIN_CODE = 2; // calls a defined function directly
const HAS_BULK = 4; // gets the scratch local

/**
 * What the metering learns of a code section in one pass, kept in typed arrays (one slot per
 * function, nothing per instruction): the sandbox process's main thread, whose heap is a few
 * dozen MiB, meters modules of up to the code limit.
 */
export interface CodeProfile {
  /** Offsets in the payload where each body starts and ends. */
  starts: Uint32Array;
  ends: Uint32Array;
  /** Where each body's instructions start (past its locals). */
  codeStarts: Uint32Array;
  flags: Uint8Array;
  /** Bytes of each body once metered, without the entry check. */
  meteredBytes: Float64Array;
  /** Deepest nesting of blocks (block, loop, if, try, try_table) in each body. */
  depths: Uint32Array;
  /** Locals each body declares, parameters excluded. */
  locals: Float64Array;
  /** Bytes of the entry check (and of each loop check). */
  checkBytes: number;
}

/**
 * Reads a code section once, decoding every instruction (`module_invalid` for any it cannot
 * meter), and measures what the metering will write and what the compiler will get: each body's
 * size once metered, nesting depth and locals. Memory is proportional to the number of functions.
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
    locals: new Float64Array(n),
    checkBytes: fuelCheck(fuel).length,
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
  return profile;
}

/** The bytes of function `i` (of the defined ones) once metered, its entry check included or not. */
export function meteredBodyBytes(profile: CodeProfile, i: number, checkEntry: boolean): number {
  return profile.meteredBytes[i] + (checkEntry ? profile.checkBytes : 0);
}

/**
 * Rewrites a code section so that each loop turn, and each entry of a function that needs it,
 * spends one unit of the i64 global `fuel`, trapping once it is spent. Function exits are not
 * counted. A function with a loop or an indirect call is always checked. Without either, it runs
 * unchecked when it calls only imports (host calls, bounded by the host-call limit) and functions
 * that either call no plugin code or are always checked: every cycle of calls then passes through
 * a checked function, so no run is unbounded, and a unit stays bounded by a product of function
 * sizes. Small helpers called from hot loops (accessors with an error path) so cost nothing.
 * Instructions whose work grows with an operand (bulk memory and table operations, both grows)
 * are charged in proportion, inline, before they run, in every function (see bulk-fuel.ts); a
 * function holding one gets an extra i32 local. `paramCounts` are the parameter counts of the
 * defined functions, in order. Writes straight into one buffer of the exact output size: the
 * only memory besides it is {@link profileCodeSection}'s, per function.
 */
export function meterCodeSection(
  payload: Uint8Array,
  importedFunctions: number,
  fuel: number,
  paramCounts: readonly number[],
  profile: CodeProfile = profileCodeSection(payload, importedFunctions, fuel, paramCounts),
): Uint8Array<ArrayBuffer> {
  const check = fuelCheck(fuel);
  const n = profile.flags.length;
  const checked = checkedEntries(payload, profile, importedFunctions);
  const header = encodeU32Leb(n);
  let total = header.length;
  for (let i = 0; i < n; i++) {
    const size = meteredBodyBytes(profile, i, checked[i] === 1);
    total += encodeU32Leb(size).length + size;
  }
  const out = new Uint8Array(total);
  out.set(header, 0);
  let to = header.length;
  for (let i = 0; i < n; i++) {
    const size = meteredBodyBytes(profile, i, checked[i] === 1);
    const prefix = encodeU32Leb(size);
    out.set(prefix, to);
    to += prefix.length;
    const written = writeMeteredBody(
      payload,
      profile,
      i,
      checked[i] === 1,
      check,
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
  const checkBytes = profile.checkBytes;
  const scratch = params + locals;
  let flags = 0;
  let extra = 0;
  let depth = 0;
  let deepest = 0;
  // The byte, copy and table charges are shared objects, the same code all through a body.
  const chargeLengths = new Map<BulkCharge, number>();
  for (let at = codeStart; at < body.length;) {
    const next = instructionEnd(body, at);
    const opcode = body[at];
    const charge = bulkChargeAt(body, at);
    if (charge) {
      flags |= HAS_BULK;
      let length = chargeLengths.get(charge);
      if (length === undefined) {
        length = bulkChargeCode(charge, scratch, fuel).length;
        if (!charge.size) chargeLengths.set(charge, length);
      }
      extra += length;
    } else if (opcode === LOOP) {
      flags |= HAS_LOOP_OR_INDIRECT;
      extra += checkBytes;
    } else if (opcode === CALL_INDIRECT || opcode === RETURN_CALL_INDIRECT)
      flags |= HAS_LOOP_OR_INDIRECT;
    else if (opcode === CALL || opcode === RETURN_CALL) {
      if (readU32Leb(body, at + 1).value >= importedFunctions) flags |= CALLS_PLUGIN_CODE;
    }
    if (BLOCK_OPENERS.has(opcode)) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (opcode === END || opcode === DELEGATE) depth--;
    at = next;
  }
  const localsBytes = flags & HAS_BULK ? withScratchLocalBytes(body, codeStart) : codeStart;
  profile.codeStarts[i] = codeStart;
  profile.flags[i] = flags;
  profile.meteredBytes[i] = localsBytes + (body.length - codeStart) + extra;
  profile.depths[i] = deepest;
  profile.locals[i] = locals;
}

/**
 * 1 for each function whose entry is checked: all but those that loop through no call of their
 * own (see meterCodeSection). Calls are read again only for functions that call plugin code and
 * are not always checked, so nothing is kept per call.
 */
function checkedEntries(
  payload: Uint8Array,
  profile: CodeProfile,
  importedFunctions: number,
): Uint8Array {
  const { flags } = profile;
  const n = flags.length;
  const alwaysChecked = (i: number) => (flags[i] & HAS_LOOP_OR_INDIRECT) !== 0;
  const safe = (callee: number) => {
    const i = callee - importedFunctions;
    return i < n && (alwaysChecked(i) || (flags[i] & CALLS_PLUGIN_CODE) === 0);
  };
  const checked = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (alwaysChecked(i)) checked[i] = 1;
    else if (flags[i] & CALLS_PLUGIN_CODE) {
      const body = payload.subarray(profile.starts[i], profile.ends[i]);
      for (let at = profile.codeStarts[i]; at < body.length;) {
        const opcode = body[at];
        if (opcode === CALL || opcode === RETURN_CALL) {
          const callee = readU32Leb(body, at + 1).value;
          if (callee >= importedFunctions && !safe(callee)) {
            checked[i] = 1;
            break;
          }
        }
        at = instructionEnd(body, at);
      }
    }
  }
  return checked;
}

/** Writes function `i` metered into `out` at `to`; returns the offset past it. */
function writeMeteredBody(
  payload: Uint8Array,
  profile: CodeProfile,
  i: number,
  checkEntry: boolean,
  check: Uint8Array,
  params: number,
  fuel: number,
  out: Uint8Array,
  to: number,
): number {
  const body = payload.subarray(profile.starts[i], profile.ends[i]);
  const codeStart = profile.codeStarts[i];
  const hasBulk = (profile.flags[i] & HAS_BULK) !== 0;
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
  if (checkEntry) put(check);
  // The charge code of the byte, copy and table bulk instructions is the same all through a body.
  const charges = new Map<BulkCharge, Uint8Array>();
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
    if (opcode === LOOP) put(check);
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
