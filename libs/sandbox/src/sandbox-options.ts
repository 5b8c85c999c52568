import type { ExtismPluginOptions } from '@extism/extism';
import type { CompileWasm } from './inspect-module.js';
import type { SandboxLogger } from './plugin-log-sink.js';

/** Per-call limits applied to every plugin a runtime loads. */
export interface SandboxLimits {
  /** Wall time of one call, in milliseconds; the plugin's worker is replaced when it runs over. */
  timeoutMs: number;
  /** Cap, in 64 KiB pages, on the plugin's linear memory and, separately, on its Extism host memory. */
  maxMemoryPages: number;
}

/** Options of a {@link WasmRuntime}. */
export interface WasmRuntimeOptions extends SandboxLimits {
  /** Defaults to `console`. */
  logger?: SandboxLogger;
  /** Defaults to `WebAssembly.compile`. */
  compile?: CompileWasm;
}

/** Host functions by namespace, as Extism takes them: `{ 'extism:host/user': { fs_read(cp, offset) {...} } }`. */
export type HostFunctions = NonNullable<ExtismPluginOptions['functions']>;

/** Options of one {@link WasmRuntime.load}. */
export interface LoadOptions {
  /** Host functions bound to this plugin alone (copied, because Extism writes into the object). */
  functions?: HostFunctions;
}

/** What a successful call returns. */
export interface CallResult {
  output: Uint8Array;
  durationMs: number;
}
