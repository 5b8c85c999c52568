import { createHash } from 'node:crypto';
import type { ResourceLimits } from 'node:worker_threads';
import type { Permissions } from '@convergio/contracts';
import { capLimits, validateLimits, type CallLimits } from './call-limits.js';
import type { MainThreadOps, OperatorPolicy, PluginIdentity } from './host-api.js';
import type { InputCheckSpec } from './input-check.js';
import type { CompileWasm } from './inspect-module.js';
import type { SandboxLogger } from './plugin-log-sink.js';
import { PluginWorker, type PluginWorkerOptions } from './plugin-worker.js';
import { prepareModule, type PreparedModule } from './prepare-module.js';
import { SandboxError } from './sandbox-error.js';
import { bridgeBytes, WORKER_RESOURCE_LIMITS } from './sandbox-memory-budget.js';
import { PluginSupervisor, type LoadedSandboxPlugin } from './sandbox-plugin.js';
import { errorMessage } from './error-message.js';
import { eventsListener } from './event-batch.js';
import { createDenialBucket } from './worker/denial-pacer.js';

/** A refusal a host function recorded with `env.deny`. */
export interface DeniedEvent {
  capability: string;
  target: string;
  reason: string;
}

/** Options of a {@link SandboxRuntime}. */
export interface SandboxRuntimeOptions {
  /** Module loaded inside every plugin worker; must export `createHostFunctions: HostFunctionFactory`. */
  hostFunctionsModule: URL | string;
  /**
   * The names of the table `hostFunctionsModule` builds: the host functions a module may import
   * (each of type (i64) -> i64). A module importing anything else is refused at load.
   */
  hostFunctions: readonly string[];
  /**
   * What the workers of plugins that have `inputSchemas` compile them with. Without it such a
   * plugin fails to load.
   */
  inputCheck?: InputCheckSpec;
  /** Operations host functions reach with `env.callMain`; none by default. */
  mainThreadOps?: MainThreadOps;
  policy: OperatorPolicy;
  /** Limits of every call; a plugin's own limits can only lower them. */
  defaults: CallLimits;
  onDenied?: (plugin: PluginIdentity, event: DeniedEvent) => void;
  onLog?: (plugin: PluginIdentity, payload: unknown) => void;
  onTelemetry?: (plugin: PluginIdentity, payload: unknown) => void;
  /** `count` telemetry events the plugin's sandbox dropped over its rate (the events are gone). */
  onTelemetryDropped?: (plugin: PluginIdentity, count: number) => void;
  /** A call on `instance` ended (or was stopped): release what main-thread ops keep for it. */
  onCallEnd?: (plugin: PluginIdentity, instance: string) => void;
  /** Receives worker output and sandbox diagnostics; defaults to `console`. */
  logger?: SandboxLogger;
  /** JS heap of each plugin worker (Wasm memory is capped separately); defaults to WORKER_RESOURCE_LIMITS. */
  workerResourceLimits?: ResourceLimits;
  /**
   * Instances (worker threads) one plugin may run calls on at once; 1 serializes its calls.
   * Each is a worker of its own, so this bounds both a plugin's share of the CPU and its memory.
   */
  instancesPerPlugin?: number;
  /** Defaults to `WebAssembly.compile`. */
  compile?: CompileWasm;
  /**
   * Time an instance gets to start before the plugin's code runs, ms (then its instantiation and
   * start function get the call wall time); 10 s by default. Past it the load or replacement
   * fails with `start_timeout`.
   */
  workerStartTimeoutMs?: number;
}

/** The plugin to load: who it is, what it was granted, and optionally tighter limits. */
export interface PluginSpec {
  identity: PluginIdentity;
  grants: Permissions;
  /** This plugin's policy (its own directory, its network allowances); defaults to the runtime's. */
  policy?: OperatorPolicy;
  limits?: Partial<CallLimits>;
  /**
   * Schemas a call's input can be checked against before its function runs, by the name a call
   * gives in CallOptions (plain data, for the runtime's `inputCheck`). Each instance
   * compiles one on the first call that names it, inside that call.
   */
  inputSchemas?: Record<string, unknown>;
}

/**
 * A plugin ready for instances: how to start its workers, what it exports, its limits. The workers
 * started from one PreparedPlugin share its denial bucket (`worker.init.denialBucket`).
 */
export interface PreparedPlugin {
  worker: PluginWorkerOptions;
  functions: ReadonlySet<string>;
  limits: CallLimits;
  /** Whether the prepared module came from the runtime's cache. */
  cached: boolean;
}

// A spare instance (beyond the first) idle this long is stopped: bursts get parallelism, quiet
// plugins give the memory back.
export const SPARE_INSTANCE_IDLE_MS = 30_000;
const DEFAULT_WORKER_START_TIMEOUT_MS = 10_000;

/**
 * Runs untrusted plugins, each instance in a worker thread of its own (Extism inline inside it).
 * Modules are prepared (memory cap, fuel metering, compile) once per SHA-256 and memory cap.
 */
export class SandboxRuntime {
  private readonly modules = new Map<string, Promise<PreparedModule>>();
  private readonly defaults: CallLimits;
  private readonly logger: SandboxLogger;
  private readonly instancesPerPlugin: number;

  constructor(private readonly options: SandboxRuntimeOptions) {
    this.defaults = validateLimits(options.defaults);
    this.logger = options.logger ?? console;
    this.instancesPerPlugin = options.instancesPerPlugin ?? 1;
    if (!Number.isInteger(this.instancesPerPlugin) || this.instancesPerPlugin < 1)
      throw new RangeError(`instancesPerPlugin must be a positive integer`);
  }

  /** Starts an instance of the module `bytes`, which must hash to `sha256` (hex); rejects with a {@link SandboxError}. */
  async load(bytes: Uint8Array, sha256: string, plugin: PluginSpec): Promise<LoadedSandboxPlugin> {
    const started = performance.now();
    const { worker, functions, limits, cached } = await this.prepare(bytes, sha256, plugin);
    const supervisor = new PluginSupervisor({
      spawn: () => PluginWorker.start(worker),
      functions,
      limits,
      maxInstances: this.instancesPerPlugin,
      spareIdleMs: SPARE_INSTANCE_IDLE_MS,
      onSpawnError: (error) =>
        this.logger.error(
          `plugin ${plugin.identity.id}: an instance failed to start: ${errorMessage(error)}`,
        ),
    });
    await supervisor.start();
    supervisor.cached = cached;
    supervisor.loadMs = performance.now() - started;
    return supervisor;
  }

  /**
   * Checks and prepares the module `bytes` (which must hash to `sha256`, hex) for `plugin`, without
   * starting an instance; rejects with a {@link SandboxError}.
   */
  async prepare(bytes: Uint8Array, sha256: string, plugin: PluginSpec): Promise<PreparedPlugin> {
    const limits = capLimits(this.defaults, plugin.limits);
    const key = `${sha256}/${limits.maxMemoryPages}`;
    const cached = this.modules.has(key);
    const { module, functions } = await this.prepared(key, bytes, sha256, limits.maxMemoryPages);
    const { onDenied, onCallEnd } = this.options;
    const policy = structuredClone(plugin.policy ?? this.options.policy);
    const identity = structuredClone(plugin.identity);
    const worker: PluginWorkerOptions = {
      init: {
        module,
        hostFunctionsModule: String(this.options.hostFunctionsModule),
        identity,
        grants: structuredClone(plugin.grants),
        policy,
        limits,
        inputSchemas: structuredClone(plugin.inputSchemas ?? {}),
        inputCheck: this.options.inputCheck ?? null,
        // One per prepared plugin, which its instances share for as long as it is loaded.
        denialBucket: createDenialBucket(),
      },
      bridgeBytes: bridgeBytes(policy),
      mainThreadOps: this.options.mainThreadOps ?? {},
      events: {
        denied: (event) => onDenied?.(identity, event),
        emitted: eventsListener(identity, this.options),
        callEnded: (instance) => onCallEnd?.(identity, instance),
      },
      logger: this.logger,
      resourceLimits: this.options.workerResourceLimits ?? WORKER_RESOURCE_LIMITS,
      startTimeoutMs: this.options.workerStartTimeoutMs ?? DEFAULT_WORKER_START_TIMEOUT_MS,
    };
    return { worker, functions, limits, cached };
  }

  /** Modules prepared so far (distinct SHA-256 and memory cap pairs). */
  compiledCount(): number {
    return this.modules.size;
  }

  // The hash is checked before a module enters the cache, so an entry always holds the code its key names.
  private prepared(
    key: string,
    bytes: Uint8Array,
    sha256: string,
    maxPages: number,
  ): Promise<PreparedModule> {
    const cached = this.modules.get(key);
    if (cached) return cached;
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) {
      return Promise.reject(
        new SandboxError('module_hash_mismatch', `module hashes to ${actual}, expected ${sha256}`),
      );
    }
    const preparing = Promise.resolve().then(() =>
      prepareModule(bytes, maxPages, this.options.hostFunctions, this.options.compile),
    );
    this.modules.set(key, preparing);
    preparing.catch(() => this.modules.delete(key));
    return preparing;
  }
}
