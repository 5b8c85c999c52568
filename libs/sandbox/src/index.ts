export { capMemory, MAX_WASM_PAGES } from './cap-memory.js';
export { inspectModule, type CompileWasm, type InspectedModule } from './inspect-module.js';
export { LoadedPlugin } from './loaded-plugin.js';
export type { SandboxLogger } from './plugin-log-sink.js';
export { SandboxError, type SandboxErrorCode } from './sandbox-error.js';
export type {
  CallResult,
  HostFunctions,
  LoadOptions,
  SandboxLimits,
  WasmRuntimeOptions,
} from './sandbox-options.js';
export { WasmRuntime } from './wasm-runtime.js';
