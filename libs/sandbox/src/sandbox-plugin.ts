import { CallDeadlines } from './call-deadlines.js';
import type { CallLimits, CallResources } from './call-limits.js';
import { errorMessage } from './error-message.js';
import type { CallOptions } from './input-check.js';
import { InstancePool, type PooledInstance } from './instance-pool.js';
import { SandboxError } from './sandbox-error.js';
import type { WorkerFailure } from './worker-protocol.js';

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
 * A call's outcome as the instance (or its death) reports it; a failure has no resources when
 * what counted them died (a sandbox process that crashed).
 */
export type WorkerCallOutcome =
  | { ok: true; output: Uint8Array; resources: CallResources }
  | { ok: false; error: WorkerFailure; resources?: CallResources };

/** One instance of a plugin (a worker thread, here or in a sandbox process), one call at a time. */
export interface SupervisedInstance extends PooledInstance {
  /** Runs one call; never rejects: a failure, the instance's death included, is an outcome. */
  call(fn: string, input: Uint8Array, inputSchema?: string): Promise<WorkerCallOutcome>;
  /** Stops the instance at once (even inside Wasm) and answers what its call had used. */
  halt(): Promise<Omit<CallResources, 'wall_ms'>>;
}

/** How a {@link PluginSupervisor} gets and sizes its instances. */
export interface SupervisorOptions<I> {
  spawn: () => Promise<I>;
  /** Functions the module exports; a call to any other fails with `function_not_found`. */
  functions: ReadonlySet<string>;
  limits: CallLimits;
  maxInstances: number;
  spareIdleMs: number;
  /** An instance failed to start and no call heard of it. */
  onSpawnError: (error: unknown) => void;
}

/**
 * The supervisor of one plugin: hands each call to an instance of its own, enforces wall time by
 * halting that instance, and replaces instances that die.
 */
export class PluginSupervisor<I extends SupervisedInstance> implements LoadedSandboxPlugin {
  private readonly pool: InstancePool<I>;
  private readonly functions: ReadonlySet<string>;
  private readonly limits: CallLimits;
  private readonly deadlines: CallDeadlines;
  idleSinceMs = Date.now();
  loadMs = 0;
  cached = false;

  constructor(options: SupervisorOptions<I>) {
    const { functions, limits, ...pooling } = options;
    this.functions = functions;
    this.limits = limits;
    this.deadlines = new CallDeadlines(limits.wallTimeMs);
    this.pool = new InstancePool(pooling);
  }

  /** Starts the first instance; rejects with the SandboxError that kept the plugin from starting. */
  start(): Promise<void> {
    return this.pool.start();
  }

  /** Instances started or starting. */
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
      .use((instance) => this.callOn(instance, fn, input, options.inputSchema))
      .catch((error: unknown) => {
        throw error instanceof SandboxError
          ? error
          : new SandboxError('runtime_failure', errorMessage(error));
      });
  }

  async close({ refuseQueued = false }: CloseOptions = {}): Promise<void> {
    await this.pool.close({
      refuseWaiting: refuseQueued
        ? new SandboxError('plugin_closed', 'the plugin was unloaded before the call started')
        : undefined,
    });
    this.deadlines.stop(); // no call is left running
  }

  /**
   * The instances are gone with what hosted them (a sandbox process that died): the calls waiting
   * for one fail with `error`, later ones with `plugin_closed`. Calls running hear it from their
   * instance.
   */
  abandon(error: SandboxError): void {
    this.pool.abandon(error);
  }

  private async callOn(instance: I, fn: string, input: Uint8Array, inputSchema?: string) {
    const started = performance.now();
    // Settled by whichever comes first: the outcome (instance.call never rejects) or the deadline.
    const outcome = await new Promise<WorkerCallOutcome | 'timeout'>((resolve) => {
      const release = this.deadlines.watch(() => resolve('timeout'));
      void instance.call(fn, input, inputSchema).then((done) => {
        release();
        resolve(done);
      });
    });
    const wall_ms = performance.now() - started;
    this.idleSinceMs = Date.now();
    if (outcome === 'timeout') {
      const resources = { ...(await instance.halt()), wall_ms }; // the pool replaces it
      throw new SandboxError(
        'timeout',
        `the call exceeded its wall time of ${this.limits.wallTimeMs} ms`,
        resources,
      );
    }
    if (outcome.ok) return { output: outcome.output, resources: { ...outcome.resources, wall_ms } };
    if (outcome.error.code === 'runtime_failure') await instance.terminate();
    const resources = outcome.resources && { ...outcome.resources, wall_ms };
    const { code, message, details } = outcome.error;
    throw new SandboxError(code, message, resources, details);
  }
}
