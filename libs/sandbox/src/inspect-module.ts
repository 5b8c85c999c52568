import { errorMessage } from './error-message.js';
import { RESERVED_EXPORT_PREFIX } from './instrument-fuel.js';
import { SandboxError } from './sandbox-error.js';

/** Compiles module bytes; injectable so callers can observe or replace compilation. */
export type CompileWasm = (bytes: Uint8Array<ArrayBuffer>) => Promise<WebAssembly.Module>;

/** A compiled module and what it exports. */
export interface InspectedModule {
  module: WebAssembly.Module;
  exports: readonly WebAssembly.ModuleExportDescriptor[];
}

/**
 * Compiles `bytes` (`module_invalid` if they do not) and refuses exports with the reserved
 * prefix. Its imports are checked before (module-imports.ts).
 */
export async function inspectModule(
  bytes: Uint8Array<ArrayBuffer>,
  compile: CompileWasm = (source) => WebAssembly.compile(source),
): Promise<InspectedModule> {
  let module: WebAssembly.Module;
  try {
    module = await compile(bytes);
  } catch (error) {
    throw new SandboxError(
      'module_invalid',
      `not a valid WebAssembly module: ${errorMessage(error)}`,
    );
  }
  const exports = WebAssembly.Module.exports(module);
  if (exports.some((entry) => entry.name.startsWith(RESERVED_EXPORT_PREFIX)))
    throw new SandboxError(
      'module_invalid',
      `export names starting with ${RESERVED_EXPORT_PREFIX} are reserved`,
    );
  return { module, exports };
}
