export { capMemory, MAX_WASM_PAGES } from './cap-memory.js';
export { capTables } from './cap-tables.js';
export { capLimits, validateLimits, type CallLimits, type CallResources } from './call-limits.js';
export type {
  CallOptions,
  InputCheck,
  InputCheckSpec,
  InputRefusal,
  InputSchemaCompiler,
} from './input-check.js';
export { inspectModule, type CompileWasm, type InspectedModule } from './inspect-module.js';
export { instrumentFuel } from './instrument-fuel.js';
export { findImportViolations, type ImportViolation } from './module-imports.js';
export {
  checkModuleLimits,
  DEFAULT_MODULE_LIMITS,
  EXTISM_INIT_EXPORTS,
  findModuleLimitViolations,
  type ModuleLimits,
  type ModuleLimitViolation,
} from './module-limits.js';
export type { SandboxLogger } from './plugin-log-sink.js';
export { SandboxError, type SandboxErrorCode } from './sandbox-error.js';
export type { CloseOptions, LoadedSandboxPlugin, SandboxPlugin } from './sandbox-plugin.js';
export {
  SandboxRuntime,
  type DeniedEvent,
  type PluginSpec,
  type SandboxRuntimeOptions,
} from './sandbox-runtime.js';
export type * from './host-api.js';
export {
  ProcessSandboxRuntime,
  type ProcessSandboxPlugin,
  type ProcessSandboxRuntimeOptions,
} from './process/process-sandbox-runtime.js';
export {
  fitSandboxMemory,
  SANDBOX_START_BYTES,
  sandboxMemoryBudget,
  type SandboxMemoryBudget,
} from './sandbox-memory-budget.js';
export type {
  ExecutorLink,
  SandboxServices,
  SandboxServicesSpec,
} from './process/process-protocol.js';
export { decodeUtf8Escaped } from './utf8-escaped.js';
export { workerEntry, type WorkerEntry } from './worker-entry.js';
