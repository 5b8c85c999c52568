import type { ErrorDetail } from '@convergio/contracts';
import type { CallResources } from './call-limits.js';
import type { ModuleLimitCode } from './module-limits.js';

/** Stable codes of {@link SandboxError}; callers map them to HTTP statuses and bus outcomes. */
export type SandboxErrorCode =
  /** The bytes are not a valid WebAssembly module (or could not be instrumented). */
  | 'module_invalid'
  /** The bytes do not hash to the SHA-256 they were loaded under. */
  | 'module_hash_mismatch'
  /** The module imports something outside the host allowlist, or a host function with the wrong type. */
  | 'module_import_forbidden'
  /** The module's memory is imported, shared, 64-bit, or needs more pages than the cap. */
  | 'module_memory_forbidden'
  /** The module declares more of a resource than allowed (see MODULE_LIMIT_CODES), or a reserved export. */
  | ModuleLimitCode
  /** The called function is not exported by the module. */
  | 'function_not_found'
  /** The input does not match the input schema the call named; the function did not run. */
  | 'input_invalid'
  /** The input schema the call named cannot be used (it does not compile, it is out of bounds). */
  | 'input_schema_invalid'
  /** The call exceeded its wall time; its worker was terminated. */
  | 'timeout'
  /** The call spent its fuel (CPU budget). */
  | 'cpu_limit'
  /** The call made more host-function calls than allowed. */
  | 'host_call_limit'
  /** The call returned more bytes than allowed. */
  | 'output_too_large'
  /** The plugin reported an error through `error_set`. */
  | 'plugin_error'
  /** The Wasm code trapped (unreachable, out-of-bounds access, exhausted linear memory, ...). */
  | 'trap'
  /** The Wasm code recursed past the stack limit. */
  | 'stack_overflow'
  /**
   * The plugin exceeded the host-side Extism memory limit (input, output, allocations, vars), or
   * its sandbox process exceeded its resident-memory ceiling and was killed.
   */
  | 'memory_limit'
  /** The plugin was closed, by its owner or after a failure it cannot recover from. */
  | 'plugin_closed'
  /** The sandbox failed in a way the plugin did not cause on purpose (worker crash, SDK error). */
  | 'runtime_failure'
  /** The plugin's sandbox process died (V8 fatal error, native crash, killed); it is restarted. */
  | 'sandbox_crashed';

/** A typed failure of the Wasm sandbox; call failures carry what the call consumed. */
export class SandboxError extends Error {
  override readonly name = 'SandboxError';

  constructor(
    readonly code: SandboxErrorCode,
    message: string,
    /** Resources used by the failed call; absent for load failures. */
    readonly resources?: CallResources,
    /** Each problem of an `input_invalid` input, with where it is. */
    readonly details?: ErrorDetail[],
  ) {
    super(message);
  }
}
