import type { KernelFunction } from '@convergio/contracts';
import { concatBytes } from './concat-bytes.js';
import { encodeU32Leb, readU32Leb } from './leb128.js';
import { readImports, type WasmImport } from './wasm-imports.js';
import { readSections, SectionId, writeSections } from './wasm-sections.js';
import { I32, I64, type FunctionType } from './wasm-types.js';

/** Where plugins import the Extism kernel from. */
export const EXTISM_KERNEL_NAMESPACE = 'extism:host/env';
/**
 * Where the loaded module imports it from instead: the sandbox's own kernel
 * (worker/plugin-kernel.ts). The SDK's kernel, which keeps refused blocks and logs straight to
 * the operator, is then unreachable by construction: nothing in the module names it.
 */
export const SANDBOX_KERNEL_NAMESPACE = 'convergio:kernel';

const sig = (params: number[], results: number[]): FunctionType => ({ params, results });

/**
 * The kernel functions a plugin may import (KERNEL_FUNCTIONS of the ABI), with Extism's types.
 * The SDK's HTTP functions are not among them; neither is anything it may add later.
 */
export const KERNEL_SIGNATURES: Readonly<Record<KernelFunction, FunctionType>> = {
  alloc: sig([I64], [I64]),
  free: sig([I64], []),
  length: sig([I64], [I64]),
  length_unsafe: sig([I64], [I64]),
  load_u8: sig([I64], [I32]),
  load_u64: sig([I64], [I64]),
  store_u8: sig([I64, I32], []),
  store_u64: sig([I64, I64], []),
  input_offset: sig([], [I64]),
  input_length: sig([], [I64]),
  input_load_u8: sig([I64], [I32]),
  input_load_u64: sig([I64], [I64]),
  output_set: sig([I64, I64], []),
  error_set: sig([I64], []),
  error_get: sig([], [I64]),
  config_get: sig([I64], [I64]),
  var_get: sig([I64], [I64]),
  var_set: sig([I64, I64], []),
  log_trace: sig([I64], []),
  log_debug: sig([I64], []),
  log_info: sig([I64], []),
  log_warn: sig([I64], []),
  log_error: sig([I64], []),
  get_log_level: sig([], [I32]),
};

/**
 * Moves the module's kernel imports to {@link SANDBOX_KERNEL_NAMESPACE}; only the import section
 * changes. The imports must have passed the import check (module-imports.ts) first.
 */
export function routeKernelImports(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const sections = readSections(bytes);
  const imports = sections.find((s) => s.id === SectionId.import);
  if (!imports) return writeSections(sections);
  const payload = renameModule(imports.payload, readImports(imports.payload));
  return writeSections(sections.map((s) => (s === imports ? { id: s.id, payload } : s)));
}

function renameModule(payload: Uint8Array, entries: readonly WasmImport[]): Uint8Array {
  const target = new TextEncoder().encode(SANDBOX_KERNEL_NAMESPACE);
  const newName = Uint8Array.from([...encodeU32Leb(target.length), ...target]);
  const parts = [payload.subarray(0, readU32Leb(payload, 0).next)];
  let start = parts[0].length;
  for (const entry of entries) {
    parts.push(
      entry.module === EXTISM_KERNEL_NAMESPACE ? newName : payload.subarray(start, entry.nameAt),
      payload.subarray(entry.nameAt, entry.end),
    );
    start = entry.end;
  }
  return concatBytes(parts);
}
