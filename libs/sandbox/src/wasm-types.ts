import { readU32Leb, type Decoded } from './leb128.js';
import { SandboxError } from './sandbox-error.js';

/** The value type i32. */
export const I32 = 0x7f;
/** The value type i64, which Extism memory offsets have. */
export const I64 = 0x7e;
const FUNCTION_TYPE = 0x60;
// i32, i64, f32, f64, v128, funcref, externref, exnref. Typed references and GC types, which
// Node 20 does not run, are refused rather than decoded.
const VALUE_TYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f, 0x69]);

/** Whether `byte` is a value type the sandbox accepts. */
export const isValueType = (byte: number): boolean => VALUE_TYPES.has(byte);

/** Reads the value type at `at` (one byte). */
export function readValueType(bytes: Uint8Array, at: number): Decoded {
  if (at >= bytes.length)
    throw new SandboxError('module_invalid', `truncated value type at byte ${at}`);
  if (!isValueType(bytes[at]))
    throw new SandboxError(
      'module_invalid',
      `unsupported value type 0x${bytes[at].toString(16)} at byte ${at}`,
    );
  return { value: bytes[at], next: at + 1 };
}

/** A function signature, as value type bytes. */
export interface FunctionType {
  params: number[];
  results: number[];
}

/** The function types of a type section, by type index. */
export function readFunctionTypes(payload: Uint8Array): FunctionType[] {
  const count = readU32Leb(payload, 0);
  const types: FunctionType[] = [];
  let at = count.next;
  for (let index = 0; index < count.value; index++) {
    if (at >= payload.length) throw new SandboxError('module_invalid', 'truncated type section');
    if (payload[at] !== FUNCTION_TYPE)
      throw new SandboxError(
        'module_invalid',
        `type ${index} has form 0x${payload[at].toString(16)}; only function types are supported`,
      );
    const params = readValueTypes(payload, at + 1);
    const results = readValueTypes(payload, params.next);
    types.push({ params: params.types, results: results.types });
    at = results.next;
  }
  if (at !== payload.length)
    throw new SandboxError('module_invalid', 'type section has trailing bytes');
  return types;
}

function readValueTypes(bytes: Uint8Array, at: number): { types: number[]; next: number } {
  const count = readU32Leb(bytes, at);
  const types: number[] = [];
  let next = count.next;
  for (let i = 0; i < count.value; i++) {
    const type = readValueType(bytes, next);
    types.push(type.value);
    next = type.next;
  }
  return { types, next };
}
