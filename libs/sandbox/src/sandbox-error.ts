/** Stable codes of {@link SandboxError}; callers map them to HTTP statuses and bus outcomes. */
export type SandboxErrorCode =
  /** The bytes are not a valid WebAssembly module. */
  | 'module_invalid'
  /** The bytes do not hash to the SHA-256 they were loaded under. */
  | 'module_hash_mismatch'
  /** The module imports something outside the host allowlist. */
  | 'module_import_forbidden'
  /** The module's memory is imported, shared, 64-bit, or needs more pages than the cap. */
  | 'module_memory_forbidden'
  /** The called function is not exported by the module. */
  | 'function_not_found'
  /** The call (or the plugin's instantiation) exceeded its wall time and was stopped. */
  | 'timeout'
  /** The plugin reported an error through `error_set`. */
  | 'plugin_error'
  /** The Wasm code trapped (unreachable, out-of-bounds access, exhausted linear memory, ...). */
  | 'trap'
  /** The plugin exceeded the host-side Extism memory limit (input, output, allocations, vars). */
  | 'memory_limit'
  /** The plugin was closed, by its owner or after a failure it cannot recover from. */
  | 'plugin_closed'
  /** The Extism runtime failed in a way the plugin did not cause on purpose. */
  | 'runtime_failure';

/** A typed failure of the Wasm sandbox. */
export class SandboxError extends Error {
  override readonly name = 'SandboxError';

  constructor(
    readonly code: SandboxErrorCode,
    message: string,
  ) {
    super(message);
  }
}
