import { SandboxError } from './sandbox-error.js';
import { ExternalKind, type WasmImport } from './wasm-imports.js';
import { I64, type FunctionType } from './wasm-types.js';

const USER_NAMESPACE = 'extism:host/user';

/**
 * Refuses host functions not of type (i64) -> i64: they take and return one Extism memory offset,
 * and any other type would make the wrapper return a value Wasm cannot take, which traps inside
 * the host call.
 */
export function refuseBadHostSignatures(
  imports: readonly WasmImport[],
  types: readonly FunctionType[],
): void {
  for (const { module, name, kind, typeIndex = -1 } of imports) {
    if (module !== USER_NAMESPACE || kind !== ExternalKind.function) continue;
    const type = types[typeIndex];
    if (!type) throw new SandboxError('module_invalid', `host function "${name}" has no type`);
    const ok =
      type.params.length === 1 &&
      type.params[0] === I64 &&
      type.results.length === 1 &&
      type.results[0] === I64;
    if (!ok)
      throw new SandboxError(
        'module_import_forbidden',
        `host function "${name}" must have type (i64) -> i64`,
      );
  }
}
