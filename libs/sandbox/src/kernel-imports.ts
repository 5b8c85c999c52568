import type { KernelFunction } from '@convergio/contracts';
import { concatBytes } from './concat-bytes.js';
import { encodeU32Leb, readU32Leb } from './leb128.js';
import { SandboxError } from './sandbox-error.js';
import { ExternalKind, readImports, type WasmImport } from './wasm-imports.js';
import { readSections, SectionId, writeSections } from './wasm-sections.js';
import { I64, readFunctionTypes, type FunctionType } from './wasm-types.js';

/** Where plugins import the Extism kernel from. */
export const EXTISM_KERNEL_NAMESPACE = 'extism:host/env';
/**
 * Where the loaded module imports it from instead: the sandbox's own kernel
 * (worker/plugin-kernel.ts). The SDK's kernel, which keeps refused blocks and logs straight to
 * the operator, is then unreachable by construction: nothing in the module names it.
 */
export const SANDBOX_KERNEL_NAMESPACE = 'convergio:kernel';

const I32 = 0x7f;
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
 * Moves the module's kernel imports to {@link SANDBOX_KERNEL_NAMESPACE}, refusing
 * (`module_import_forbidden`) a kernel import that is not a function of
 * {@link KERNEL_SIGNATURES} with exactly its type. Only the import section changes.
 */
export function routeKernelImports(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const sections = readSections(bytes);
  const imports = sections.find((s) => s.id === SectionId.import);
  if (!imports) return writeSections(sections);
  const entries = readImports(imports.payload);
  const types = readFunctionTypes(
    sections.find((s) => s.id === SectionId.type)?.payload ?? Uint8Array.of(0),
  );
  entries.filter((e) => e.module === EXTISM_KERNEL_NAMESPACE).forEach((e) => checkKernel(e, types));
  const payload = renameModule(imports.payload, entries);
  return writeSections(sections.map((s) => (s === imports ? { id: s.id, payload } : s)));
}

function checkKernel(entry: WasmImport, types: readonly FunctionType[]): void {
  const expected = Object.hasOwn(KERNEL_SIGNATURES, entry.name)
    ? KERNEL_SIGNATURES[entry.name as KernelFunction]
    : undefined;
  if (!expected)
    throw new SandboxError(
      'module_import_forbidden',
      `import "${EXTISM_KERNEL_NAMESPACE}" "${entry.name}" is not allowed`,
    );
  const actual = entry.kind === ExternalKind.function ? types[entry.typeIndex ?? -1] : undefined;
  if (!actual || !sameType(actual, expected))
    throw new SandboxError(
      'module_import_forbidden',
      `kernel function "${entry.name}" must have type ${describe(expected)}`,
    );
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

const sameType = (a: FunctionType, b: FunctionType) =>
  a.params.join() === b.params.join() && a.results.join() === b.results.join();

function describe({ params, results }: FunctionType): string {
  const name = (t: number) => (t === I64 ? 'i64' : t === I32 ? 'i32' : `0x${t.toString(16)}`);
  return `(${params.map(name).join(', ')}) -> (${results.map(name).join(', ')})`;
}
