import { bulkChargeAt, bulkChargeCode, type BulkCharge } from './bulk-fuel.js';
import { concatBytes } from './concat-bytes.js';
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

/** What the metering needs to know of one function body. */
interface ScannedBody {
  body: Uint8Array;
  codeStart: number;
  /** Locals the body declares (parameters excluded). */
  locals: number;
  loopStarts: number[];
  /** Instructions whose cost grows with an operand, charged inline before they run. */
  bulk: { at: number; charge: BulkCharge }[];
  callsIndirect: boolean;
  /** Indexes of the defined (not imported) functions it calls directly. */
  callees: Set<number>;
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
 * defined functions, in order.
 */
export function meterCodeSection(
  payload: Uint8Array,
  importedFunctions: number,
  fuel: number,
  paramCounts: readonly number[],
): Uint8Array {
  const check = fuelCheck(fuel);
  const count = readU32Leb(payload, 0);
  if (count.value !== paramCounts.length)
    throw new SandboxError('module_invalid', 'the code and function sections disagree');
  const scanned: ScannedBody[] = [];
  let at = count.next;
  for (let i = 0; i < count.value; i++) {
    const functionIndex = importedFunctions + i;
    const size = readU32Leb(payload, at);
    const end = size.next + size.value;
    if (end > payload.length)
      throw new SandboxError('module_invalid', `function ${functionIndex} runs past the code`);
    scanned.push(
      inFunction(functionIndex, () =>
        scanBody(payload.subarray(size.next, end), importedFunctions),
      ),
    );
    at = end;
  }
  if (at !== payload.length)
    throw new SandboxError('module_invalid', 'code section has trailing bytes');
  const unchecked = uncheckedFunctions(scanned, importedFunctions);
  const chunks: Uint8Array[] = [Uint8Array.from(encodeU32Leb(count.value))];
  scanned.forEach((fn, i) => {
    const checkEntry = !unchecked.has(importedFunctions + i);
    const body = meterBody(fn, checkEntry, check, paramCounts[i], fuel);
    const length = body.reduce((total, part) => total + part.length, 0);
    chunks.push(Uint8Array.from(encodeU32Leb(length)), ...body);
  });
  return concatBytes(chunks);
}

function scanBody(body: Uint8Array, importedFunctions: number): ScannedBody {
  const { codeStart, locals } = readLocals(body);
  const scanned: ScannedBody = {
    body,
    codeStart,
    locals,
    loopStarts: [],
    bulk: [],
    callsIndirect: false,
    callees: new Set(),
  };
  for (let at = codeStart; at < body.length;) {
    const next = instructionEnd(body, at);
    const opcode = body[at];
    const charge = bulkChargeAt(body, at);
    if (charge) scanned.bulk.push({ at, charge });
    else if (opcode === LOOP) scanned.loopStarts.push(next);
    else if (opcode === CALL_INDIRECT || opcode === RETURN_CALL_INDIRECT)
      scanned.callsIndirect = true;
    else if (opcode === CALL || opcode === RETURN_CALL) {
      const callee = readU32Leb(body, at + 1).value;
      if (callee >= importedFunctions) scanned.callees.add(callee);
    }
    at = next;
  }
  return scanned;
}

function uncheckedFunctions(scanned: readonly ScannedBody[], importedFunctions: number) {
  const alwaysChecked = (fn: ScannedBody) => fn.loopStarts.length > 0 || fn.callsIndirect;
  const callsNoPluginCode = (fn: ScannedBody) => !alwaysChecked(fn) && fn.callees.size === 0;
  const unchecked = new Set<number>();
  scanned.forEach((fn, i) => {
    if (alwaysChecked(fn)) return;
    const calleesAreSafe = [...fn.callees].every((callee) => {
      const target = scanned[callee - importedFunctions];
      return target !== undefined && (callsNoPluginCode(target) || alwaysChecked(target));
    });
    if (calleesAreSafe) unchecked.add(importedFunctions + i);
  });
  return unchecked;
}

function meterBody(
  fn: ScannedBody,
  checkEntry: boolean,
  check: Uint8Array,
  params: number,
  fuel: number,
): Uint8Array[] {
  const insertions: { at: number; code: Uint8Array }[] = [];
  if (checkEntry) insertions.push({ at: fn.codeStart, code: check });
  for (const start of fn.loopStarts) insertions.push({ at: start, code: check });
  // The new local comes after the parameters and the declared locals.
  const scratch = params + fn.locals;
  for (const { at, charge } of fn.bulk)
    insertions.push({ at, code: bulkChargeCode(charge, scratch, fuel) });
  // Stable: at one offset (a loop whose first instruction is a bulk one), the loop check first.
  insertions.sort((a, b) => a.at - b.at);
  const parts = [
    fn.bulk.length ? withScratchLocal(fn.body, fn.codeStart) : fn.body.subarray(0, fn.codeStart),
  ];
  let from = fn.codeStart;
  for (const { at, code } of insertions) {
    parts.push(fn.body.subarray(from, at), code);
    from = at;
  }
  parts.push(fn.body.subarray(from));
  return parts;
}

/** The locals declaration of `body` with one more i32 group of one local. */
function withScratchLocal(body: Uint8Array, codeStart: number): Uint8Array {
  const groups = readU32Leb(body, 0);
  return concatBytes([
    Uint8Array.from(encodeU32Leb(groups.value + 1)),
    body.subarray(groups.next, codeStart),
    Uint8Array.of(1, I32),
  ]);
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
