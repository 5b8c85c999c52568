import { createHash } from 'node:crypto';
import createPlugin from '@extism/extism';
import { capMemory, MAX_WASM_PAGES } from './cap-memory.js';
import { inspectModule, type CompileWasm, type InspectedModule } from './inspect-module.js';
import { LoadedPlugin } from './loaded-plugin.js';
import { PluginLogSink, type SandboxLogger } from './plugin-log-sink.js';
import { SandboxError } from './sandbox-error.js';
import type {
  HostFunctions,
  LoadOptions,
  SandboxLimits,
  WasmRuntimeOptions,
} from './sandbox-options.js';
import { toSandboxError } from './to-sandbox-error.js';

// Vars are the only state a plugin keeps across calls; built-in HTTP is refused at import time.
const MAX_VAR_BYTES = 1 << 20;
const MAX_HTTP_RESPONSE_BYTES = 1 << 20;
// Extism's own timeout fires at timeoutMs and then restarts the worker; past this grace the call is presumed lost.
const STALL_GRACE_MS = 2000;

/** Loads plugins into Extism worker sandboxes, compiling each module once per SHA-256. */
export class WasmRuntime {
  private readonly limits: SandboxLimits;
  private readonly logger: SandboxLogger;
  private readonly compile: CompileWasm | undefined;
  private readonly modules = new Map<string, Promise<InspectedModule>>();

  constructor(options: WasmRuntimeOptions) {
    if (!Number.isInteger(options.timeoutMs) || options.timeoutMs <= 0) {
      throw new RangeError(`timeoutMs must be a positive integer, got ${options.timeoutMs}`);
    }
    if (
      !Number.isInteger(options.maxMemoryPages) ||
      options.maxMemoryPages <= 0 ||
      options.maxMemoryPages > MAX_WASM_PAGES
    ) {
      throw new RangeError(
        `maxMemoryPages must be an integer in 1..${MAX_WASM_PAGES}, got ${options.maxMemoryPages}`,
      );
    }
    this.limits = { timeoutMs: options.timeoutMs, maxMemoryPages: options.maxMemoryPages };
    this.logger = options.logger ?? console;
    this.compile = options.compile;
  }

  /** Starts a plugin from `bytes`, which must hash to `sha256` (hex); rejects with a {@link SandboxError}. */
  async load(bytes: Uint8Array, sha256: string, options: LoadOptions = {}): Promise<LoadedPlugin> {
    const { module, exports, hostImports } = await this.compiled(bytes, sha256);
    // A missing import fails inside Extism's worker as an uncaught error that takes the process down.
    const provided = options.functions?.['extism:host/user'] ?? {};
    const missing = hostImports.filter((name) => !Object.hasOwn(provided, name));
    if (missing.length > 0) {
      throw new SandboxError(
        'module_import_forbidden',
        `host functions not granted to this plugin: ${missing.join(', ')}`,
      );
    }
    const log = new PluginLogSink(this.logger, `plugin ${sha256.slice(0, 12)}`);
    try {
      const plugin = await createPlugin(
        { wasm: [{ module }] },
        {
          useWasi: false,
          runInWorker: true,
          timeoutMs: this.limits.timeoutMs,
          allowedHosts: [],
          functions: copyFunctions(options.functions ?? {}),
          logLevel: 'warn',
          logger: log.asConsole(),
          memory: {
            maxPages: this.limits.maxMemoryPages,
            maxVarBytes: MAX_VAR_BYTES,
            maxHttpResponseBytes: MAX_HTTP_RESPONSE_BYTES,
          },
        },
      );
      const functions = exports
        .filter((entry) => entry.kind === 'function')
        .map((entry) => entry.name);
      return new LoadedPlugin(
        plugin,
        new Set(functions),
        log,
        this.limits.timeoutMs + STALL_GRACE_MS,
      );
    } catch (error) {
      throw toSandboxError(error, false);
    }
  }

  // The hash is checked before a module enters the cache, so an entry always holds the code its key names.
  private compiled(bytes: Uint8Array, sha256: string): Promise<InspectedModule> {
    const cached = this.modules.get(sha256);
    if (cached) return cached;
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) {
      return Promise.reject(
        new SandboxError('module_hash_mismatch', `module hashes to ${actual}, expected ${sha256}`),
      );
    }
    const compiling = Promise.resolve().then(() =>
      inspectModule(capMemory(bytes, this.limits.maxMemoryPages), this.compile),
    );
    this.modules.set(sha256, compiling);
    compiling.catch(() => this.modules.delete(sha256));
    return compiling;
  }
}

// Worker-mode Extism writes its own kernel functions into the object it is given; sharing one
// object between plugins would hand one plugin another's bindings.
function copyFunctions(functions: HostFunctions): HostFunctions {
  return Object.fromEntries(
    Object.entries(functions).map(([namespace, members]) => [namespace, { ...members }]),
  );
}
