import type { ChildProcess } from 'node:child_process';
import { errorMessage } from '../error-message.js';
import type { CallOptions } from '../input-check.js';
import { SandboxError } from '../sandbox-error.js';
import { PluginSupervisor, type CloseOptions } from '../sandbox-plugin.js';
import { SPARE_INSTANCE_IDLE_MS, type PluginSpec } from '../sandbox-runtime.js';
import { CallServer } from './call-server.js';
import type {
  FromSandboxProcess,
  ProcessFailure,
  SandboxProcessInit,
  ToSandboxProcess,
} from './process-protocol.js';
import type { RemoteInstance, RemoteInstanceEvents } from './remote-instance.js';
import { RemoteInstances } from './remote-instances.js';
import { spawnSandboxProcess, watchResidentMemory } from './sandbox-os-process.js';

/** What a sandbox process reports besides call results. */
interface SandboxProcessEvents extends RemoteInstanceEvents {
  /**
   * The process ended without being asked to (crash, fatal error, memory ceiling), a close under
   * way included; not the exit a close asks for (see {@link SandboxProcess.close}). `started`:
   * it had loaded the plugin and started serving (a death before is also its start's failure).
   */
  died(error: SandboxError, started: boolean): void;
  /** An instance failed to start and no call heard of it. */
  spawnError(error: unknown): void;
  /** Runs what the process asks of the executor (see ExecutorLink); none: every ask fails. */
  executorRequest?(op: string, payload: unknown): Promise<unknown>;
}

/** Options of {@link SandboxProcess.start}. */
export interface SandboxProcessOptions {
  /** Resident memory the process may use, bytes; above it the process is killed (`memory_limit`). */
  memoryCeilingBytes: number;
  /** Instances (worker threads) running calls at once. */
  maxInstances: number;
  /** Node and V8 flags the process starts with (see sandboxMemoryBudget). */
  nodeFlags: readonly string[];
  /**
   * What the process is added to at its start and deleted from when it exits (its runtime's and
   * its plugin's live processes).
   */
  residents?: { add(sandbox: SandboxProcess): unknown; delete(sandbox: SandboxProcess): unknown };
  events: SandboxProcessEvents;
}

type Loaded = Extract<FromSandboxProcess, { type: 'loaded' }>;

// What a frame from a worker may hold besides a call's output: a batch of events, a refusal.
const FRAME_OVERHEAD_BYTES = 64 * 1024 * 1024;
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * One sandbox process seen from the executor: it hosts one plugin version (its worker threads and
 * the main-thread operations of its host functions). The executor supervises the instances
 * itself (pool, wall time) and calls each worker on a socket of its own; the process's main
 * thread only starts and halts workers and serves their main-thread operations. Whatever kills
 * the process, V8 fatal errors in a worker included, fails only its own calls, with
 * `sandbox_crashed`; its resident memory (all of it: heaps, Wasm memories, ArrayBuffers) is
 * polled and the process is killed above the ceiling (`memory_limit`).
 */
export class SandboxProcess {
  private readonly instances: RemoteInstances;
  private supervisor: PluginSupervisor<RemoteInstance> | undefined;
  private server: CallServer | undefined;
  /** Why the process ended, once it has. */
  private ended: SandboxError | undefined;
  private closing = false;
  private killedFor: SandboxError | undefined;
  /** What the calls a close stopped at its bound fail with: they ran, unlike those waiting. */
  private stoppedRunning: SandboxError | undefined;
  /** Why a close killed the process at its bound, once it has. */
  private closedAtBound: SandboxError | undefined;
  private readonly stopWatchdog: () => void;
  /** Its resident set at the last poll, bytes; 0 before the first. */
  residentBytes = 0;
  private onLoad?: (
    message: Extract<FromSandboxProcess, { type: 'loaded' | 'load_failed' }>,
  ) => void;
  private onLoadLost?: (error: SandboxError) => void;
  /** Whether {@link SandboxProcess.start} has resolved with this process. */
  private started = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly options: SandboxProcessOptions,
  ) {
    this.instances = new RemoteInstances(this, options.events);
    child.on('message', (message: FromSandboxProcess) => this.onMessage(message));
    child.once('exit', (code, signal) => this.onExit(code, signal));
    options.residents?.add(this);
    const ceiling = options.memoryCeilingBytes;
    this.stopWatchdog = watchResidentMemory(child, (rss) => {
      this.residentBytes = rss;
      if (rss > ceiling)
        this.kill(
          new SandboxError(
            'memory_limit',
            `the sandbox process used ${Math.round(rss / 1048576)} MiB, over its ${Math.round(ceiling / 1048576)} MiB ceiling`,
          ),
        );
    });
  }

  /**
   * Starts a process, loads the plugin in it and starts its first instance; rejects with the
   * SandboxError that kept it from loading.
   */
  static async start(
    init: SandboxProcessInit,
    plugin: { bytes: Uint8Array; sha256: string; spec: PluginSpec },
    options: SandboxProcessOptions,
  ): Promise<{ process: SandboxProcess; cached: boolean }> {
    const sandbox = new SandboxProcess(spawnSandboxProcess(options.nodeFlags), options);
    try {
      const loaded = await sandbox.load(init, plugin);
      await sandbox.serve(loaded);
      sandbox.started = true;
      return { process: sandbox, cached: loaded.cached };
    } catch (error) {
      await sandbox.close();
      throw error;
    }
  }

  get alive(): boolean {
    return !this.ended && !this.closing;
  }

  /** OS process id (for diagnostics and tests). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  call(fn: string, input: Uint8Array, options?: CallOptions) {
    if (!this.alive || !this.supervisor)
      return Promise.reject(new SandboxError('plugin_closed', 'the sandbox process has stopped'));
    return this.supervisor.call(fn, input, options);
  }

  /**
   * Stops the process after its calls in flight and those waiting for an instance (unless
   * `refuseQueued`: those fail with `plugin_closed`); kills it if it has not stopped in 10 s: the
   * calls still running fail with `plugin_unloaded` and those waiting with `plugin_closed` (they
   * never ran, so the executor may run them on a new load). The executor stopped them (an unload,
   * a revocation, memory for another version), which is no crash of the plugin's. Any other end
   * while it closes (a crash, the memory ceiling) ends the close too, and is reported as `died`.
   */
  async close(options?: CloseOptions): Promise<void> {
    if (this.ended) return;
    this.closing = true;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const timer = setTimeout(() => {
      this.stoppedRunning = new SandboxError(
        'plugin_unloaded',
        `the plugin version was unloaded: its calls still running after ${CLOSE_TIMEOUT_MS / 1000} s were stopped`,
      );
      this.closedAtBound = new SandboxError(
        'plugin_closed',
        'the plugin was unloaded before the call started',
      );
      this.kill(this.closedAtBound);
    }, CLOSE_TIMEOUT_MS).unref();
    await Promise.race([this.supervisor?.close(options), exited]);
    this.send({ type: 'close' });
    await exited;
    clearTimeout(timer);
  }

  private load(
    init: SandboxProcessInit,
    plugin: { bytes: Uint8Array; sha256: string; spec: PluginSpec },
  ): Promise<Loaded> {
    const loaded = new Promise<Loaded>((resolve, reject) => {
      this.onLoad = (message) =>
        message.type === 'loaded' ? resolve(message) : reject(toError(message.error));
      this.onLoadLost = reject;
    });
    this.send({ type: 'load', init, ...plugin });
    return loaded;
  }

  private async serve({ functions, limits }: Loaded): Promise<void> {
    this.server = await CallServer.listen(limits.maxOutputBytes + FRAME_OVERHEAD_BYTES, (c) =>
      this.instances.connected(c),
    ).catch((error: unknown) => {
      throw new SandboxError('runtime_failure', `no call socket: ${errorMessage(error)}`);
    });
    if (this.ended) this.server.close();
    const { events, maxInstances } = this.options;
    this.supervisor = new PluginSupervisor({
      spawn: () => this.startInstance(),
      functions: new Set(functions),
      limits,
      maxInstances,
      spareIdleMs: SPARE_INSTANCE_IDLE_MS,
      onSpawnError: (error) => events.spawnError(error),
    });
    await this.supervisor.start();
  }

  private startInstance(): Promise<RemoteInstance> {
    if (this.ended) return Promise.reject(this.ended);
    if (!this.server)
      return Promise.reject(new SandboxError('plugin_closed', 'the plugin is not loaded'));
    return this.instances.start(this.server.path);
  }

  /** Sends a control message; a process it cannot reach is killed. */
  send(message: ToSandboxProcess): void {
    if (this.ended || !this.child.connected) return;
    this.child.send(message, (error) => {
      if (error)
        this.kill(
          new SandboxError(
            'sandbox_crashed',
            `the sandbox process is unreachable: ${error.message}`,
          ),
        );
    });
  }

  private onMessage(message: FromSandboxProcess): void {
    switch (message.type) {
      case 'loaded':
      case 'load_failed':
        this.onLoad?.(message);
        return;
      case 'instance_started':
      case 'instance_failed':
      case 'instance_exited':
      case 'instance_halted':
        this.instances.receive(message);
        return;
      case 'executor_request':
        void this.answer(message);
        return;
      case 'closed':
        return;
    }
  }

  private async answer(
    message: Extract<FromSandboxProcess, { type: 'executor_request' }>,
  ): Promise<void> {
    const { id, op, payload } = message;
    const { events } = this.options;
    try {
      if (!events.executorRequest) throw new Error(`the executor serves no "${op}"`);
      const result = await events.executorRequest(op, payload);
      this.send({ type: 'executor_reply', id, ok: true, result });
    } catch (error) {
      this.send({ type: 'executor_reply', id, ok: false, message: errorMessage(error) });
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.stopWatchdog();
    this.options.residents?.delete(this);
    this.server?.close();
    const error =
      this.killedFor ??
      new SandboxError(
        'sandbox_crashed',
        `the sandbox process ended (${signal ? `signal ${signal}` : `exit code ${code}`})`,
      );
    this.ended = error;
    this.supervisor?.abandon(error);
    this.instances.end(this.stoppedRunning ?? error);
    this.onLoadLost?.(error);
    if (!this.closedAsAsked(code)) this.options.events.died(error, this.started);
  }

  /**
   * Whether the exit is the one a close asked for: the process's own once closed (exit code 0,
   * when its channel closes) or the close's kill at its bound. Anything else, while closing too,
   * is a death: calls it failed are recorded as crashes anyway, and a process that died idle
   * would otherwise leave no trace.
   */
  private closedAsAsked(code: number | null): boolean {
    if (!this.closing) return false;
    return this.killedFor === undefined ? code === 0 : this.killedFor === this.closedAtBound;
  }

  /** Kills the process with SIGKILL; its calls fail with `reason`. */
  kill(reason: SandboxError): void {
    if (this.ended) return;
    this.killedFor ??= reason;
    this.child.kill('SIGKILL');
  }
}

function toError(failure: ProcessFailure): SandboxError {
  return new SandboxError(failure.code, failure.message);
}
