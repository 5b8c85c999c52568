import { capMemory } from './cap-memory.js';
import { capTables } from './cap-tables.js';
import { inspectModule, type CompileWasm } from './inspect-module.js';
import { instrumentFuel } from './instrument-fuel.js';
import { routeKernelImports } from './kernel-imports.js';
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
 * Caps linear memory at `maxPages`, checks imports on the plugin's own code, routes its Extism
 * kernel imports to the sandbox's kernel, then injects fuel metering and compiles the result.
 * Rejects with a {@link SandboxError}.
 * Checks what the module declares against {@link DEFAULT_MODULE_LIMITS} before anything compiles
 * or instantiates it, caps linear memory at `maxPages` and every table at the entry limit, checks
 * imports on the plugin's own code, then injects fuel metering and compiles the result. Rejects
 * with a {@link SandboxError}.
 */
export async function prepareModule(
  bytes: Uint8Array,
  maxPages: number,
  compile: CompileWasm = (source) => WebAssembly.compile(source),
): Promise<PreparedModule> {
  checkModuleLimits(bytes, DEFAULT_MODULE_LIMITS);
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
