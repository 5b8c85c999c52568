import { capMemory } from './cap-memory.js';
import { capTables } from './cap-tables.js';
import { inspectModule, type CompileWasm } from './inspect-module.js';
import { instrumentFuel } from './instrument-fuel.js';
import { routeKernelImports } from './kernel-imports.js';
import { checkImports } from './module-imports.js';
import { checkModuleLimits, DEFAULT_MODULE_LIMITS } from './module-limits.js';
import { SandboxError } from './sandbox-error.js';

/** A module ready to run in plugin workers: memory capped, fuel-instrumented, compiled. */
export interface PreparedModule {
  /** Compiled instrumented code; cloned to each worker, never recompiled. */
  module: WebAssembly.Module;
  /** Functions the plugin itself exports (the instrumentation's exports are not callable). */
  functions: ReadonlySet<string>;
}

/**
 * Checks what the module declares against {@link DEFAULT_MODULE_LIMITS} and what it imports
 * (functions of the Extism kernel and of `hostFunctions`, each of its exact type) before
 * anything compiles or instantiates it; caps linear memory at `maxPages` and every table at the
 * entry limit; routes its kernel imports to the sandbox's kernel; then injects fuel metering and
 * compiles the result. Rejects with a {@link SandboxError}.
 */
export async function prepareModule(
  bytes: Uint8Array,
  maxPages: number,
  hostFunctions: Iterable<string>,
  compile: CompileWasm = (source) => WebAssembly.compile(source),
): Promise<PreparedModule> {
  checkModuleLimits(bytes, DEFAULT_MODULE_LIMITS);
  checkImports(bytes, hostFunctions);
  const capped = capTables(capMemory(bytes, maxPages), DEFAULT_MODULE_LIMITS.tableEntries);
  const inspected = await inspectModule(capped, compile);
  const instrumented = instrumentFuel(routeKernelImports(capped));
  let module: WebAssembly.Module;
  try {
    module = await compile(instrumented);
  } catch (error) {
    throw new SandboxError(
      'module_invalid',
      `the instrumented module does not compile: ${String(error)}`,
    );
  }
  const functions = inspected.exports.filter((e) => e.kind === 'function').map((e) => e.name);
  return { module, functions: new Set(functions) };
}
