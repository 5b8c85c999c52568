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

/**
 * Rewrites a code section so that each loop turn, and each entry of a function that is not a leaf,
 * spends one unit of the i64 global `fuel`, trapping once it is spent. A leaf has no loop and calls
 * nothing but imported (host) functions, so it runs in bounded time: any unbounded run needs a loop
 * or a call to a defined function, and those are all checked. Function exits are not counted.
 */
export function meterCodeSection(
  payload: Uint8Array,
  importedFunctions: number,
  fuel: number,
): Uint8Array {
  const check = fuelCheck(fuel);
  const count = readU32Leb(payload, 0);
  const chunks: Uint8Array[] = [Uint8Array.from(encodeU32Leb(count.value))];
  let at = count.next;
  for (let i = 0; i < count.value; i++) {
    const functionIndex = importedFunctions + i;
    const size = readU32Leb(payload, at);
    const end = size.next + size.value;
    if (end > payload.length)
      throw new SandboxError('module_invalid', `function ${functionIndex} runs past the code`);
    const body = inFunction(functionIndex, () =>
      meterBody(payload.subarray(size.next, end), importedFunctions, check),
    );
    const length = body.reduce((total, part) => total + part.length, 0);
    chunks.push(Uint8Array.from(encodeU32Leb(length)), ...body);
    at = end;
  }
  if (at !== payload.length)
    throw new SandboxError('module_invalid', 'code section has trailing bytes');
  return concatBytes(chunks);
}

function meterBody(body: Uint8Array, importedFunctions: number, check: Uint8Array): Uint8Array[] {
  const codeStart = localsEnd(body);
  const loopStarts: number[] = [];
  let callsDefinedCode = false;
  for (let at = codeStart; at < body.length;) {
    const next = instructionEnd(body, at);
    const opcode = body[at];
    if (opcode === LOOP) loopStarts.push(next);
    else callsDefinedCode ||= isCallOfDefinedCode(body, at, opcode, importedFunctions);
    at = next;
  }
  const leaf = loopStarts.length === 0 && !callsDefinedCode;
  const parts = [body.subarray(0, codeStart)];
  if (!leaf) parts.push(check);
  let from = codeStart;
  for (const start of loopStarts) {
    parts.push(body.subarray(from, start), check);
    from = start;
  }
  parts.push(body.subarray(from));
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

// Calls to imported functions are host calls, bounded by the host-call limit.
function isCallOfDefinedCode(
  body: Uint8Array,
  at: number,
  opcode: number,
  imported: number,
): boolean {
  if (opcode === CALL || opcode === RETURN_CALL) return readU32Leb(body, at + 1).value >= imported;
  return opcode === CALL_INDIRECT || opcode === RETURN_CALL_INDIRECT;
}

function localsEnd(body: Uint8Array): number {
  const groups = readU32Leb(body, 0);
  let at = groups.next;
  for (let i = 0; i < groups.value; i++) at = readValueType(body, readU32Leb(body, at).next).next;
  return at;
}
