import { errorMessage } from './error-message.js';
import { RESERVED_EXPORT_PREFIX } from './instrument-fuel.js';
import { SandboxError } from './sandbox-error.js';

/** Compiles module bytes; injectable so callers can observe or replace compilation. */
export type CompileWasm = (bytes: Uint8Array<ArrayBuffer>) => Promise<WebAssembly.Module>;

/** A compiled module whose imports passed the allowlist. */
export interface InspectedModule {
  module: WebAssembly.Module;
  exports: readonly WebAssembly.ModuleExportDescriptor[];
  /** Names the module imports from `extism:host/user`: host functions it needs. */
  hostImports: readonly string[];
}

const USER_NAMESPACE = 'extism:host/user';
const ALLOWED_NAMESPACES = new Set(['extism:host/env', USER_NAMESPACE]);

// The SDK's built-in HTTP checks only the first hostname, follows redirects, and in worker mode
// throws on a denied host, which leaves the plugin hanging; HTTP will be our own host function.
const FORBIDDEN_KERNEL_IMPORTS = new Set(['http_request', 'http_status_code', 'http_headers']);

/** Compiles `bytes` and refuses any import outside the Extism kernel and our host namespace. */
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
  for (const { module: namespace, name, kind } of WebAssembly.Module.imports(module)) {
    // A table, memory or global is sized or set by whoever provides it: nothing here bounds it.
    if (kind !== 'function')
      throw new SandboxError(
        'module_import_forbidden',
        `import "${namespace}" "${name}" is a ${kind}; only functions may be imported`,
      );
    if (
      !ALLOWED_NAMESPACES.has(namespace) ||
      (namespace === 'extism:host/env' && FORBIDDEN_KERNEL_IMPORTS.has(name))
    ) {
      throw new SandboxError(
        'module_import_forbidden',
        `import "${namespace}" "${name}" is not allowed`,
      );
    }
  }
  const exports = WebAssembly.Module.exports(module);
  if (exports.some((entry) => entry.name.startsWith(RESERVED_EXPORT_PREFIX)))
    throw new SandboxError(
      'module_invalid',
      `export names starting with ${RESERVED_EXPORT_PREFIX} are reserved`,
    );
  const hostImports = WebAssembly.Module.imports(module)
    .filter((i) => i.module === USER_NAMESPACE)
    .map((i) => i.name);
  return { module, exports, hostImports };
}
