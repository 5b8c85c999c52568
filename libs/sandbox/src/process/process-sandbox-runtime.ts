import { capLimits, type CallLimits, type CallResources } from '../call-limits.js';
import { errorMessage } from '../error-message.js';
import { eventsListener } from '../event-batch.js';
import type { OperatorPolicy, PluginIdentity } from '../host-api.js';
import type { CallOptions, InputCheckSpec } from '../input-check.js';
import type { SandboxLogger } from '../plugin-log-sink.js';
import type { DeniedEvent, PluginSpec } from '../sandbox-runtime.js';
import { SandboxError } from '../sandbox-error.js';
import {
  fitSandboxMemory,
  SANDBOX_START_BYTES,
  type SandboxMemoryBudget,
} from '../sandbox-memory-budget.js';
import type { CloseOptions, LoadedSandboxPlugin } from '../sandbox-plugin.js';
import type { SandboxServicesSpec } from './process-protocol.js';
import { SandboxProcess } from './sandbox-process.js';

/** Options of a {@link ProcessSandboxRuntime}. */
export interface ProcessSandboxRuntimeOptions {
  /** Module loaded inside every plugin worker; must export `createHostFunctions`. */
  hostFunctionsModule: URL | string;
  /** The names of its table: the host functions a module may import (see SandboxRuntimeOptions). */
  hostFunctions: readonly string[];
  /** What plugin workers compile `inputSchemas` with (see SandboxRuntimeOptions). */
  inputCheck?: InputCheckSpec;
  /** What each sandbox process runs on its main thread for the host functions (network I/O). */
  services?: SandboxServicesSpec;
  policy: OperatorPolicy;
  /** Limits of every call; a plugin's own limits can only lower them. */
  defaults: CallLimits;
  /**
   * Instances (worker threads) of one plugin running calls at once, inside its process; fewer
   * when the ceiling holds fewer (see fitSandboxMemory).
   */
  instancesPerPlugin?: number;
  /** Hears of instances that failed to start with no call to tell; defaults to `console`. */
  logger?: SandboxLogger;
  /**
   * Resident memory a sandbox process may use, bytes. A version whose worst case (see
   * sandboxMemoryBudget) exceeds it is refused at load; above it the process is killed.
   */
  memoryCeilingBytes: number;
  onDenied?: (plugin: PluginIdentity, event: DeniedEvent) => void;
  onLog?: (plugin: PluginIdentity, payload: unknown) => void;
  onTelemetry?: (plugin: PluginIdentity, payload: unknown) => void;
  /** `count` telemetry events the plugin's sandbox dropped over its rate (the events are gone). */
  onTelemetryDropped?: (plugin: PluginIdentity, count: number) => void;
  /**
   * Serves what a plugin's sandbox process asks of the executor (ExecutorLink), for the plugin
   * the process was started for.
   */
  onExecutorRequest?: (plugin: PluginIdentity, op: string, payload: unknown) => Promise<unknown>;
  /** See SandboxRuntimeOptions.workerStartTimeoutMs. */
  workerStartTimeoutMs?: number;
  /**
   * A plugin's sandbox process died while loaded; it is started again with backoff. `idle`: it
   * had started and the plugin had no call in flight, so neither a call's failure nor the
   * start's reports the death.
   */
  onCrash?: (plugin: PluginIdentity, error: SandboxError, death: { idle: boolean }) => void;
}

const FIRST_RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 10_000;
// A process that stayed up this long since its last crash starts the backoff afresh.
const STABLE_AFTER_MS = 60_000;

/**
 * Runs each plugin version in a sandbox process of its own (ADR 0006): the same contract as
 * SandboxRuntime, with an OS process as the fault boundary. A process that dies fails only the
 * calls it was running, is reported through `onCrash`, and is started again, with backoff, by
 * the next call.
 */
export class ProcessSandboxRuntime {
  /** Every sandbox process started here that has not exited, those of unloaded versions included. */
  private readonly residents = new Set<SandboxProcess>();

  constructor(private readonly options: ProcessSandboxRuntimeOptions) {}

  /**
   * Resident memory of all the sandbox processes started here that have not exited (unloaded
   * versions still finishing their calls included), bytes: each one's resident set at its last
   * poll (every 250 ms), and no less than SANDBOX_START_BYTES, what it holds once started.
   */
  residentBytes(): number {
    return residentBytesOf(this.residents);
  }

  /**
   * Starts a sandbox process for the module `bytes` (hashing to `sha256`), with as many instances
   * as its memory ceiling holds; rejects with a SandboxError (`memory_ceiling_exceeded` when not
   * even one fits, before any process starts).
   */
  async load(bytes: Uint8Array, sha256: string, spec: PluginSpec): Promise<ProcessSandboxPlugin> {
    const { defaults, policy, memoryCeilingBytes, instancesPerPlugin } = this.options;
    const budget = fitSandboxMemory(
      memoryCeilingBytes,
      capLimits(defaults, spec.limits),
      spec.policy ?? policy,
      instancesPerPlugin ?? 1,
    );
    const plugin = new ProcessPlugin(
      this.options,
      { bytes: bytes.slice(), sha256, spec },
      budget,
      this.residents,
    );
    await plugin.start();
    return plugin;
  }
}

/** A plugin version loaded in a sandbox process, with the memory budget it runs under. */
export interface ProcessSandboxPlugin extends LoadedSandboxPlugin {
  readonly memoryBudget: SandboxMemoryBudget;
  /** Its calls running or waiting for an instance. */
  readonly callsInFlight: number;
  /**
   * Resident memory of its sandbox processes that have not exited (after close, while its calls
   * finish; after a crash, the one started again), bytes, counted as
   * {@link ProcessSandboxRuntime.residentBytes} counts them.
   */
  readonly residentBytes: number;
}

function residentBytesOf(processes: Iterable<SandboxProcess>): number {
  let total = 0;
  for (const sandbox of processes) total += Math.max(sandbox.residentBytes, SANDBOX_START_BYTES);
  return total;
}

class ProcessPlugin implements ProcessSandboxPlugin {
  idleSinceMs = Date.now();
  callsInFlight = 0;
  loadMs = 0;
  cached = false;
  private current: Promise<SandboxProcess> | undefined;
  // What `current` resolved to, once a call has seen it running.
  private running: SandboxProcess | undefined;
  private closed = false;
  private crashes = 0;
  private lastCrashMs = 0;
  /** Its processes that have not exited; each is also in the runtime's `residents`. */
  private readonly own = new Set<SandboxProcess>();

  constructor(
    private readonly options: ProcessSandboxRuntimeOptions,
    private readonly plugin: { bytes: Uint8Array; sha256: string; spec: PluginSpec },
    readonly memoryBudget: SandboxMemoryBudget,
    private readonly residents: Set<SandboxProcess>,
  ) {}

  get residentBytes(): number {
    return residentBytesOf(this.own);
  }

  async start(): Promise<void> {
    const started = performance.now();
    const { process: sandbox, cached } = await this.spawn();
    this.current = Promise.resolve(sandbox);
    this.running = sandbox;
    this.cached = cached;
    this.loadMs = performance.now() - started;
  }

  async call(
    fn: string,
    input: Uint8Array,
    options?: CallOptions,
  ): Promise<{ output: Uint8Array; resources: CallResources }> {
    if (this.closed) throw new SandboxError('plugin_closed', 'the plugin is closed');
    this.callsInFlight++;
    try {
      // The usual case, a process up and running, takes no detour through the restart path.
      const running = this.running?.alive ? this.running : await this.process();
      return await running.call(fn, input, options);
    } finally {
      this.callsInFlight--;
      this.idleSinceMs = Date.now();
    }
  }

  async close(options?: CloseOptions): Promise<void> {
    this.closed = true;
    const current = await this.current?.catch(() => undefined);
    await current?.close(options);
  }

  /** The live process, or a new one once the backoff after a crash has passed. */
  private async process(): Promise<SandboxProcess> {
    const current = await this.current?.catch(() => undefined);
    if (current?.alive) return (this.running = current);
    // Closed while this call waited: no new process for it (nothing would close that one).
    if (this.closed) throw new SandboxError('plugin_closed', 'the plugin is closed');
    const delay = this.restartDelayMs();
    const next = new Promise<void>((resolve) => setTimeout(resolve, delay))
      .then(() => this.spawn())
      .then(({ process }) => process);
    this.current = next;
    return next;
  }

  private restartDelayMs(): number {
    if (this.crashes === 0) return 0;
    const sinceCrash = Date.now() - this.lastCrashMs;
    const delay = Math.min(FIRST_RESTART_DELAY_MS * 2 ** (this.crashes - 1), MAX_RESTART_DELAY_MS);
    return Math.max(0, delay - sinceCrash);
  }

  private spawn() {
    const { options, plugin } = this;
    const identity = plugin.spec.identity;
    const { onExecutorRequest } = options;
    const logger = options.logger ?? console;
    return SandboxProcess.start(
      {
        hostFunctionsModule: String(options.hostFunctionsModule),
        hostFunctions: options.hostFunctions,
        inputCheck: options.inputCheck ?? null,
        services: options.services ?? null,
        policy: options.policy,
        defaults: options.defaults,
        workerStartTimeoutMs: options.workerStartTimeoutMs,
      },
      plugin,
      {
        memoryCeilingBytes: options.memoryCeilingBytes,
        maxInstances: this.memoryBudget.instances,
        nodeFlags: this.memoryBudget.nodeFlags,
        residents: {
          add: (sandbox) => {
            this.residents.add(sandbox);
            this.own.add(sandbox);
          },
          delete: (sandbox) => {
            this.residents.delete(sandbox);
            this.own.delete(sandbox);
          },
        },
        events: {
          denied: (event) => options.onDenied?.(identity, event),
          emitted: eventsListener(identity, options),
          ...(onExecutorRequest && {
            executorRequest: (op: string, payload: unknown) =>
              onExecutorRequest(identity, op, payload),
          }),
          spawnError: (error) =>
            logger.error(
              `plugin ${identity.id}: an instance failed to start: ${errorMessage(error)}`,
            ),
          died: (error, started) => {
            if (Date.now() - this.lastCrashMs > STABLE_AFTER_MS) this.crashes = 0;
            this.crashes++;
            this.lastCrashMs = Date.now();
            options.onCrash?.(identity, error, { idle: started && this.callsInFlight === 0 });
          },
        },
      },
    );
  }
}
