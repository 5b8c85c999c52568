import { EXTISM_KERNEL_NAMESPACE, KERNEL_SIGNATURES } from './kernel-imports.js';
import { SandboxError } from './sandbox-error.js';
import { ExternalKind, readImports } from './wasm-imports.js';
import { readSections, SectionId } from './wasm-sections.js';
import { I32, I64, readFunctionTypes, type FunctionType } from './wasm-types.js';

/** Where plugins import host functions from. */
export const HOST_NAMESPACE = 'extism:host/user';

/**
 * The type of every host function: one Extism memory offset in (its JSON input), one out (its
 * JSON result). The sandbox's wrapper has this type whatever the function does.
 */
const HOST_FUNCTION_TYPE: FunctionType = { params: [I64], results: [I64] };

/** One import the sandbox refuses, and why. */
export interface ImportViolation {
  module: string;
  name: string;
  message: string;
}

const KIND_NAMES: Record<number, string> = { 1: 'table', 2: 'memory', 3: 'global', 4: 'tag' };

/**
 * Every import of `bytes` the sandbox refuses, in import order: anything but a function (a
 * table, memory or global is sized or set by whoever provides it), a namespace other than the
 * Extism kernel's and the host functions', a kernel function outside {@link KERNEL_SIGNATURES}
 * (the SDK's own HTTP among them), a host function not in `hostFunctions` (the names of the
 * host-function table the sandbox runs), and a function whose type is not exactly the expected
 * one (Extism's for the kernel, {@link HOST_FUNCTION_TYPE} for host functions). Malformed
 * sections are `module_invalid` ({@link SandboxError}).
 */
export function findImportViolations(
  bytes: Uint8Array,
  hostFunctions: Iterable<string>,
): ImportViolation[] {
  const sections = readSections(bytes);
  const payload = (id: number) => sections.find((s) => s.id === id)?.payload;
  const imports = readImports(payload(SectionId.import) ?? Uint8Array.of(0));
  const types = readFunctionTypes(payload(SectionId.type) ?? Uint8Array.of(0));
  const allowed = new Map<string, ReadonlyMap<string, FunctionType>>([
    [EXTISM_KERNEL_NAMESPACE, new Map(Object.entries(KERNEL_SIGNATURES))],
    [HOST_NAMESPACE, new Map([...hostFunctions].map((name) => [name, HOST_FUNCTION_TYPE]))],
  ]);
  const violations: ImportViolation[] = [];
  for (const { module, name, kind, typeIndex = -1 } of imports) {
    const refuse = (why: string) =>
      violations.push({ module, name, message: `import "${module}" "${name}" ${why}` });
    if (kind !== ExternalKind.function) {
      refuse(`is a ${KIND_NAMES[kind]}; only functions may be imported`);
      continue;
    }
    const expected = allowed.get(module)?.get(name);
    if (!expected) {
      refuse('is not a function the plugin ABI offers');
      continue;
    }
    const actual = types[typeIndex];
    if (!actual || !sameType(actual, expected)) refuse(`must have type ${describe(expected)}`);
  }
  return violations;
}

/** Refuses the first of {@link findImportViolations} as `module_import_forbidden`. */
export function checkImports(bytes: Uint8Array, hostFunctions: Iterable<string>): void {
  const [first] = findImportViolations(bytes, hostFunctions);
  if (first) throw new SandboxError('module_import_forbidden', first.message);
}

const sameType = (a: FunctionType, b: FunctionType) =>
  a.params.join() === b.params.join() && a.results.join() === b.results.join();

function describe({ params, results }: FunctionType): string {
  const name = (t: number) => (t === I64 ? 'i64' : t === I32 ? 'i32' : `0x${t.toString(16)}`);
  return `(${params.map(name).join(', ')}) -> (${results.map(name).join(', ')})`;
}
