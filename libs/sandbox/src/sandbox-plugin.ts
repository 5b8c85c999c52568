import type { CallLimits, CallResources } from './call-limits.js';
import { errorMessage } from './error-message.js';
import { PluginWorker, type PluginWorkerOptions } from './plugin-worker.js';
import type { SandboxLogger } from './plugin-log-sink.js';
import { SandboxError } from './sandbox-error.js';
import { SerialQueue } from './serial-queue.js';

/** A loaded plugin instance. Calls run one at a time, each under the plugin's {@link CallLimits}. */
export interface SandboxPlugin {
  /**
   * Calls the exported function `fn`. Rejects with a {@link SandboxError} whose `resources` say
   * what the failed call consumed; the plugin stays usable after any call failure.
   */
  call(fn: string, input: Uint8Array): Promise<{ output: Uint8Array; resources: CallResources }>;
  /** Stops the plugin after the calls already queued; later calls fail with `plugin_closed`. */
  close(): Promise<void>;
  /** `Date.now()` when the plugin last finished a call (or was loaded); for idle eviction. */
  readonly idleSinceMs: number;
}

/** A plugin fresh from {@link SandboxRuntime.load}. */
export interface LoadedSandboxPlugin extends SandboxPlugin {
  /** Time `load` took, compile and worker start included. */
  readonly loadMs: number;
  /** Whether the prepared module came from the runtime's cache. */
  readonly cached: boolean;
}

/**
 * The main thread's supervisor of one plugin: owns its worker, queues calls, enforces wall
 * time by terminating the worker, and starts a fresh worker after a timeout or a crash.
 */
export class PluginSupervisor implements LoadedSandboxPlugin {
  private readonly queue = new SerialQueue();
  private worker: Promise<PluginWorker> | undefined;
  private closed = false;
  idleSinceMs = Date.now();
  loadMs = 0;
  cached = false;
  /** How long the last replacement worker took to start, in ms (observability and benchmarks). */
  lastRespawnMs: number | undefined;

  constructor(
    private readonly workerOptions: PluginWorkerOptions,
    private readonly functions: ReadonlySet<string>,
    private readonly limits: CallLimits,
    private readonly logger: SandboxLogger,
  ) {}

  /** Starts the first worker; rejects with the SandboxError that kept the plugin from starting. */
  async start(): Promise<void> {
    this.worker = PluginWorker.start(this.workerOptions);
    await this.worker;
  }

  call(fn: string, input: Uint8Array): Promise<{ output: Uint8Array; resources: CallResources }> {
    if (!this.functions.has(fn))
      return Promise.reject(
        new SandboxError('function_not_found', `the plugin exports no function "${fn}"`),
      );
    return this.queue.run(() => this.callNow(fn, input));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.run(async () => {
      const worker = await this.worker?.catch(() => undefined);
      await worker?.terminate();
    });
  }

  private async callNow(fn: string, input: Uint8Array) {
    if (this.closed) throw new SandboxError('plugin_closed', 'the plugin is closed');
    const worker = await this.currentWorker();
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.limits.wallTimeMs);
    });
    // The input is copied: the worker must not share the caller's buffer.
    const outcome = await Promise.race([worker.call(fn, input.slice(), this.limits), deadline]);
    clearTimeout(timer);
    const wall_ms = performance.now() - started;
    this.idleSinceMs = Date.now();
    if (outcome === 'timeout') {
      const resources = { ...worker.progress(), wall_ms };
      await this.replace(worker);
      throw new SandboxError(
        'timeout',
        `the call exceeded its wall time of ${this.limits.wallTimeMs} ms`,
        resources,
      );
    }
    const resources = { ...outcome.resources, wall_ms };
    if (outcome.ok) return { output: outcome.output, resources };
    if (outcome.error.code === 'runtime_failure') await this.replace(worker);
    throw new SandboxError(outcome.error.code, outcome.error.message, resources);
  }

  private async currentWorker(): Promise<PluginWorker> {
    const worker = await this.startedWorker();
    if (worker.alive) return worker;
    // It died between calls (e.g. heap exhaustion in a host function): start afresh.
    this.worker = undefined;
    return this.startedWorker();
  }

  private startedWorker(): Promise<PluginWorker> {
    this.worker ??= this.spawn();
    return this.worker.catch((error: unknown) => {
      // A failed start is not cached: the next call tries again.
      this.worker = undefined;
      throw error instanceof SandboxError
        ? error
        : new SandboxError('runtime_failure', errorMessage(error));
    });
  }

  // The replacement starts at once, so the next call does not pay for a worker start.
  private async replace(worker: PluginWorker): Promise<void> {
    await worker.terminate();
    this.worker = this.closed ? undefined : this.spawn();
    this.worker?.catch((error: unknown) =>
      this.logger.error(
        `plugin ${this.workerOptions.init.identity.id}: restart failed: ${errorMessage(error)}`,
      ),
    );
  }

  private spawn(): Promise<PluginWorker> {
    const started = performance.now();
    return PluginWorker.start(this.workerOptions).then((worker) => {
      this.lastRespawnMs = performance.now() - started;
      return worker;
    });
  }
}
