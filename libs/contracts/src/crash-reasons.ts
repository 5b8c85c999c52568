/**
 * Codes of a module refused for what it declares, one per bounded resource: the sandbox's
 * module limits, named at verification and enforced at load (docs/plugin-abi.md).
 */
export const MODULE_LIMIT_CODES = [
  'module_too_many_tables',
  /** A table's initial or maximum size is above the limit. */
  'module_table_too_large',
  'module_too_many_globals',
  'module_too_many_functions',
  'module_too_many_data_segments',
  'module_too_many_element_segments',
  /** The code section, as written or once metered, is above the limit. */
  'module_code_too_large',
  /** A function body, once metered, is above the limit (what V8 compiles in one piece). */
  'module_function_too_large',
  /** A function nests blocks deeper than the limit (V8's compile memory grows with it). */
  'module_nesting_too_deep',
  /** A function declares more locals than the limit. */
  'module_too_many_locals',
  /**
   * A function's locals times its blocks where control flow joins, or the sum over the module's
   * functions, passes the limit (what compiling it costs).
   */
  'module_function_too_complex',
  'module_too_many_imports',
  'module_too_many_exports',
  /** An export Extism would run unmetered at instantiation, or one the instrumentation reserves. */
  'module_export_reserved',
] as const;

/** One code of {@link MODULE_LIMIT_CODES}. */
export type ModuleLimitCode = (typeof MODULE_LIMIT_CODES)[number];

/**
 * Every code a failure of the Wasm sandbox carries (libs/sandbox `SandboxError`): a module
 * refused at load, a call stopped, a sandbox process lost. Closed: the sandbox cannot fail with
 * any other code. The executor maps them to HTTP statuses and reports them in plugin.crashed.
 */
export const SANDBOX_ERROR_CODES = [
  /** The bytes are not a valid WebAssembly module (or could not be instrumented). */
  'module_invalid',
  /** The bytes do not hash to the SHA-256 they were loaded under. */
  'module_hash_mismatch',
  /** The module imports something outside the host allowlist, or a host function with the wrong type. */
  'module_import_forbidden',
  /** The module's memory is imported, shared, 64-bit, or needs more pages than the cap. */
  'module_memory_forbidden',
  /** The module declares more of a resource than allowed, or a reserved export. */
  ...MODULE_LIMIT_CODES,
  /** The called function is not exported by the module. */
  'function_not_found',
  /** The input does not match the input schema the call named; the function did not run. */
  'input_invalid',
  /** The input schema the call named cannot be used (it does not compile, it is out of bounds). */
  'input_schema_invalid',
  /**
   * The call exceeded its wall time (at load: the start function did); its worker was
   * terminated.
   */
  'timeout',
  /**
   * An instance of the plugin did not start in time, before any of its code ran (a busy
   * machine): not the plugin's doing, so not charged to it; the load is tried again.
   */
  'start_timeout',
  /** The call spent its fuel (CPU budget). */
  'cpu_limit',
  /** The call made more host-function calls than allowed. */
  'host_call_limit',
  /** The call returned more bytes than allowed. */
  'output_too_large',
  /** The call returned JSON nested deeper than the executor passes on (MAX_OUTPUT_DEPTH). */
  'output_too_deep',
  /** The plugin reported an error through `error_set`. */
  'plugin_error',
  /** The Wasm code trapped (unreachable, out-of-bounds access, exhausted linear memory, ...). */
  'trap',
  /** The Wasm code recursed past the stack limit. */
  'stack_overflow',
  /**
   * The plugin exceeded the host-side Extism memory limit (input, output, allocations, vars), or
   * its sandbox process exceeded its resident-memory ceiling and was killed.
   */
  'memory_limit',
  /**
   * The plugin was closed (unloaded, by its owner or after failures it cannot recover from)
   * before the call started: the call did not run.
   */
  'plugin_closed',
  /**
   * The plugin version was unloaded while the call ran, and the call was stopped at the close's
   * bound (10 s): the executor's doing, not a crash; the call ran, so it is not run again.
   */
  'plugin_unloaded',
  /** The sandbox failed in a way the plugin did not cause on purpose (worker crash, SDK error). */
  'runtime_failure',
  /** The plugin's sandbox process died (V8 fatal error, native crash, killed); it is restarted. */
  'sandbox_crashed',
  /**
   * Refused at load: what one instance of the version may allocate (its memory cap, heaps,
   * buffers: libs/sandbox `sandboxMemoryBudget`) is more than its sandbox process's ceiling.
   */
  'memory_ceiling_exceeded',
] as const;

/** One code of {@link SANDBOX_ERROR_CODES}. */
export type SandboxErrorCode = (typeof SANDBOX_ERROR_CODES)[number];

/**
 * Every `reason` of a plugin.crashed event: the sandbox's code for a call or load it stopped,
 * or `load_failed` when a load failed before the sandbox had the module (unreadable artifact,
 * operator policy).
 */
export const CRASH_REASONS = [...SANDBOX_ERROR_CODES, 'load_failed'] as const;

/** One reason of {@link CRASH_REASONS}. */
export type CrashReason = (typeof CRASH_REASONS)[number];

/** The `function` of a plugin.crashed event for a load that failed, not a call. */
export const LOAD_CRASH_FUNCTION = '(load)';

/**
 * The `function` of a plugin.crashed event for a sandbox process that died while it ran no call
 * (killed from outside, a fatal error between calls): calls a death stops are recorded each
 * under its own function instead.
 */
export const IDLE_CRASH_FUNCTION = '(idle)';
