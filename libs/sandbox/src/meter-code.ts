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
  loopStarts: number[];
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
 */
export function meterCodeSection(
  payload: Uint8Array,
  importedFunctions: number,
  fuel: number,
): Uint8Array {
  const check = fuelCheck(fuel);
  const count = readU32Leb(payload, 0);
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
    const body = meterBody(fn, !unchecked.has(importedFunctions + i), check);
    const length = body.reduce((total, part) => total + part.length, 0);
    chunks.push(Uint8Array.from(encodeU32Leb(length)), ...body);
  });
  return concatBytes(chunks);
}

function scanBody(body: Uint8Array, importedFunctions: number): ScannedBody {
  const codeStart = localsEnd(body);
  const scanned: ScannedBody = {
    body,
    codeStart,
    loopStarts: [],
    callsIndirect: false,
    callees: new Set(),
  };
  for (let at = codeStart; at < body.length;) {
    const next = instructionEnd(body, at);
    const opcode = body[at];
    if (opcode === LOOP) scanned.loopStarts.push(next);
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

function meterBody(fn: ScannedBody, checkEntry: boolean, check: Uint8Array) {
  const parts = [fn.body.subarray(0, fn.codeStart)];
  if (checkEntry) parts.push(check);
  let from = fn.codeStart;
  for (const start of fn.loopStarts) {
    parts.push(fn.body.subarray(from, start), check);
    from = start;
  }
  parts.push(fn.body.subarray(from));
  return parts;
}

function inFunction<T>(functionIndex: number, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof SandboxError)) throw error;
    throw new SandboxError(error.code, `${error.message} in function ${functionIndex}`);
  }
}

function localsEnd(body: Uint8Array): number {
  const groups = readU32Leb(body, 0);
  let at = groups.next;
  for (let i = 0; i < groups.value; i++) at = readValueType(body, readU32Leb(body, at).next).next;
  return at;
}
