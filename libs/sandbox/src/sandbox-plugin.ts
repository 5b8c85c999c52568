import type { CallLimits, CallResources } from './call-limits.js';
import { errorMessage } from './error-message.js';
import type { CallOptions } from './input-check.js';
import { InstancePool } from './instance-pool.js';
import { PluginWorker, type PluginWorkerOptions } from './plugin-worker.js';
import type { SandboxLogger } from './plugin-log-sink.js';
import { SandboxError } from './sandbox-error.js';

/**
 * A loaded plugin. Each call runs on an instance of its own (up to the runtime's
 * `instancesPerPlugin` at once, the rest wait in order), under the plugin's {@link CallLimits}.
 */
export interface SandboxPlugin {
  /**
   * Calls the exported function `fn`, after checking `input` against the input schema that
   * `options` names, if any (the check is part of the call: its instance, its wall time). Rejects
   * with a {@link SandboxError} whose `resources` say what the failed call consumed; the plugin
   * stays usable after any call failure.
   */
  call(
    fn: string,
    input: Uint8Array,
    options?: CallOptions,
  ): Promise<{ output: Uint8Array; resources: CallResources }>;
  /**
   * Stops the plugin after the calls already queued; later calls fail with `plugin_closed`.
   * With `refuseQueued`, only the running calls finish: the queued ones fail with
   * `plugin_closed` without running (a plugin paused after repeated crashes).
   */
  close(options?: CloseOptions): Promise<void>;
  /** `Date.now()` when the plugin last finished a call (or was loaded); for idle eviction. */
  readonly idleSinceMs: number;
}

/** How {@link SandboxPlugin.close} treats the calls still waiting for an instance. */
export interface CloseOptions {
  /** Fail them with `plugin_closed` instead of running them. */
  refuseQueued?: boolean;
}

/** A plugin fresh from {@link SandboxRuntime.load}. */
export interface LoadedSandboxPlugin extends SandboxPlugin {
  /** Time `load` took, compile and worker start included. */
  readonly loadMs: number;
  /** Whether the prepared module came from the runtime's cache. */
  readonly cached: boolean;
}

/**
 * The main thread's supervisor of one plugin: hands each call to an instance (a worker) of its
 * own, enforces wall time by terminating that worker, and replaces workers that die.
 */
export class PluginSupervisor implements LoadedSandboxPlugin {
  private readonly pool: InstancePool<PluginWorker>;
  idleSinceMs = Date.now();
  loadMs = 0;
  cached = false;

  constructor(
    workerOptions: PluginWorkerOptions,
    private readonly functions: ReadonlySet<string>,
    private readonly limits: CallLimits,
    pooling: { maxInstances: number; spareIdleMs: number },
    logger: SandboxLogger,
  ) {
    this.pool = new InstancePool({
      ...pooling,
      spawn: () => PluginWorker.start(workerOptions),
      onSpawnError: (error) =>
        logger.error(
          `plugin ${workerOptions.init.identity.id}: an instance failed to start: ${errorMessage(error)}`,
        ),
    });
  }

  /** Starts the first worker; rejects with the SandboxError that kept the plugin from starting. */
  start(): Promise<void> {
    return this.pool.start();
  }

  /** Workers started or starting. */
  get instances(): number {
    return this.pool.size;
  }

  call(
    fn: string,
    input: Uint8Array,
    options: CallOptions = {},
  ): Promise<{ output: Uint8Array; resources: CallResources }> {
    if (!this.functions.has(fn))
      return Promise.reject(
        new SandboxError('function_not_found', `the plugin exports no function "${fn}"`),
      );
    if (this.pool.isClosed)
      return Promise.reject(new SandboxError('plugin_closed', 'the plugin is closed'));
    return this.pool
      .use((worker) => this.callOn(worker, fn, input, options.inputSchema))
      .catch((error: unknown) => {
        throw error instanceof SandboxError
          ? error
          : new SandboxError('runtime_failure', errorMessage(error));
      });
  }

  close({ refuseQueued = false }: CloseOptions = {}): Promise<void> {
    return this.pool.close({
      refuseWaiting: refuseQueued
        ? new SandboxError('plugin_closed', 'the plugin was unloaded before the call started')
        : undefined,
    });
  }

  private async callOn(
    worker: PluginWorker,
    fn: string,
    input: Uint8Array,
    inputSchema: string | undefined,
  ) {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.limits.wallTimeMs);
    });
    // The input is copied: the worker must not share the caller's buffer.
    const outcome = await Promise.race([
      worker.call(fn, input.slice(), this.limits, inputSchema),
      deadline,
    ]);
    clearTimeout(timer);
    const wall_ms = performance.now() - started;
    this.idleSinceMs = Date.now();
    if (outcome === 'timeout') {
      const resources = { ...worker.progress(), wall_ms };
      await worker.terminate(); // the pool replaces it
      throw new SandboxError(
        'timeout',
        `the call exceeded its wall time of ${this.limits.wallTimeMs} ms`,
        resources,
      );
    }
    const resources = { ...outcome.resources, wall_ms };
    if (outcome.ok) return { output: outcome.output, resources };
    if (outcome.error.code === 'runtime_failure') await worker.terminate();
    const { code, message, details } = outcome.error;
    throw new SandboxError(code, message, resources, details);
  }
}
