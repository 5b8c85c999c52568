import type { Finding, Manifest } from '@convergio/contracts';
import {
  capMemory,
  findImportViolations,
  findModuleLimitViolations,
  SandboxError,
} from '@convergio/sandbox';
import { inputSchemaProblems, type InputSchemaBounds } from './tool-input-schema.js';

/**
 * What the checks of a submission's content read: plain data, so it can be handed to a worker
 * thread (module-content-checker.ts).
 */
export interface ModuleContentInput {
  /** The manifest, already valid against the schema. */
  manifest: Manifest;
  /** The module's bytes. */
  module: Uint8Array;
  /** The host functions the executor offers (HOST_FUNCTION_NAMES of libs/host-calls). */
  hostFunctions: readonly string[];
  /** The most pages the executor can give this plugin's memory, as far as verification knows. */
  memoryPages: number;
  /** How large and deep a tool's `input_schema` may be. */
  inputSchemaBounds: InputSchemaBounds;
}

/**
 * Runs the checks that depend only on the manifest and module bytes: the module is valid
 * WebAssembly, exports every declared function, stays within the executor's module limits and
 * memory cap and imports only what the executor offers; tool input schemas are bounded and
 * compile. Answers one finding per problem. This is the CPU-heavy part of a submission's checks
 * (a 16 MiB module takes seconds to profile), so a service runs it off its event loop
 * ({@link ModuleContentChecker}).
 */
export async function checkModuleContent(input: ModuleContentInput): Promise<Finding[]> {
  const { manifest, module, hostFunctions, memoryPages, inputSchemaBounds } = input;
  const findings = await checkModule(manifest, module, hostFunctions);
  findings.push(...checkMemory(module, memoryPages));
  (manifest.capabilities.tools ?? []).forEach((tool, i) =>
    findings.push(
      ...inputSchemaProblems(
        tool.input_schema,
        `/capabilities/tools/${i}/input_schema`,
        inputSchemaBounds,
      ),
    ),
  );
  return findings;
}

/** Declared functions of every capability. */
export function declaredFunctions(manifest: Manifest): string[] {
  const c = manifest.capabilities;
  return [...(c.tools ?? []), ...(c.agents ?? [])].map((t) => t.function);
}

async function checkModule(
  manifest: Manifest,
  bytes: Uint8Array,
  hostFunctions: readonly string[],
): Promise<Finding[]> {
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (error) {
    return [
      {
        code: 'module_invalid',
        message: `not a valid WebAssembly module: ${(error as Error).message}`,
      },
    ];
  }
  const exported = new Set(
    WebAssembly.Module.exports(module)
      .filter((e) => e.kind === 'function')
      .map((e) => e.name),
  );
  const missing = declaredFunctions(manifest)
    .filter((f) => !exported.has(f))
    .map((f) => ({
      code: 'function_missing',
      message: `capability function ${f} is not exported by the module`,
      path: '/capabilities',
    }));
  return [...checkDeclarations(bytes, hostFunctions), ...missing];
}

/**
 * The executor caps every memory at load (capMemory): a module whose memory needs more pages
 * than the cap, or is imported, shared or 64-bit, would never load (`module_memory_forbidden`).
 */
function checkMemory(bytes: Uint8Array, cap: number): Finding[] {
  try {
    capMemory(bytes, cap);
    return [];
  } catch (error) {
    if (!(error instanceof SandboxError) || error.code !== 'module_memory_forbidden') return [];
    return [{ code: error.code, message: error.message, path: '/limits/memory_pages' }];
  }
}

/**
 * The executor refuses to load a module over its limits or with an import it does not offer;
 * verification names them first, with the executor's own checks.
 */
function checkDeclarations(bytes: Uint8Array, hostFunctions: readonly string[]): Finding[] {
  try {
    return [
      ...findModuleLimitViolations(bytes).map(({ code, message, value }) => ({
        code,
        message,
        value: String(value),
      })),
      ...findImportViolations(bytes, hostFunctions).map(({ message }) => ({
        code: 'import_forbidden',
        message,
      })),
    ];
  } catch (error) {
    if (!(error instanceof SandboxError)) throw error;
    return [{ code: error.code, message: error.message }];
  }
}
