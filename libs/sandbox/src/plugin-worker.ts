import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { CallResources } from './call-limits.js';
import { errorMessage } from './error-message.js';
import { parseEvents } from './event-batch.js';
import type { MainThreadOps, PluginIdentity } from './host-api.js';
import type { SandboxLogger } from './plugin-log-sink.js';
import { SandboxError } from './sandbox-error.js';
import type { SupervisedInstance, WorkerCallOutcome } from './sandbox-plugin.js';
import {
  createBridgeBuffers,
  readBridgeRequest,
  writeBridgeReply,
  type BridgeBuffers,
} from './sync-bridge.js';
import { killedCallProgress, STATS_LENGTH } from './worker/call-meter.js';
import { pluginWorkerEntry } from './worker-entry.js';
import type { CallRequest, EmittedEvent, WorkerInit, WorkerMessage } from './worker-protocol.js';

/** What a plugin worker reports to its owner besides call results. */
interface PluginWorkerEvents {
  denied(event: { capability: string; target: string; reason: string }): void;
  /**
   * Log lines and telemetry events; without a listener their batches are not even parsed. Once
   * the thread has ended, the count of telemetry events it dropped and had not sent comes here
   * too, as one `telemetry_dropped` event.
   */
  emitted?: (events: EmittedEvent[]) => void;
  /** A call on `instance` settled or was stopped; may be reported more than once. */
  callEnded(instance: string): void;
  /** The thread ended (crashed, exited) without being terminated; `reason` says how, `code` codes it. */
  exited?(reason: string, code: WorkerDeathCode): void;
}

/** How a worker's death is coded: memory_limit when its JavaScript heap ran out. */
export type WorkerDeathCode = 'runtime_failure' | 'memory_limit';

/** Everything needed to start one plugin worker. */
export interface PluginWorkerOptions {
  init: Omit<WorkerInit, 'bridge' | 'stats' | 'droppedTelemetry'>;
  bridgeBytes: number;
  mainThreadOps: MainThreadOps;
  events: PluginWorkerEvents;
  logger: SandboxLogger;
  resourceLimits: ResourceLimits;
  /**
   * Time the worker gets to start before the plugin's code runs, ms; past it the start fails
   * with `start_timeout`. The plugin's instantiation and start function then get the call wall
   * time (`init.limits.wallTimeMs`), past which it fails with `timeout`.
   */
  startTimeoutMs: number;
}

type Pending = { id: number; settle: (outcome: WorkerCallOutcome) => void };

/**
 * The main thread's handle on one worker thread: start, one call at a time, terminate. A worker
 * given a call socket (`init.callSocket`) takes its calls from the executor instead; this handle
 * then serves its main-thread operations and stops it.
 */
export class PluginWorker implements SupervisedInstance {
  private readonly abort = new AbortController();
  readonly instance = randomUUID();
  private readonly stats: Float64Array;
  /** The worker's count of dropped telemetry events not yet sent (see EventBatch). */
  private readonly droppedTelemetry: Float64Array;
  private pending: Pending | undefined;
  private nextId = 1;
  private dead = false;

  private constructor(
    private readonly worker: Worker,
    private readonly bridge: BridgeBuffers,
    shared: Pick<WorkerInit, 'stats' | 'droppedTelemetry'>,
    private readonly options: PluginWorkerOptions,
  ) {
    this.stats = new Float64Array(shared.stats);
    this.droppedTelemetry = new Float64Array(shared.droppedTelemetry);
  }

  /**
   * Starts a worker and resolves once its plugin is instantiated; rejects with a SandboxError
   * (`start_timeout`, `timeout`: see {@link PluginWorkerOptions.startTimeoutMs}).
   */
  static start(options: PluginWorkerOptions): Promise<PluginWorker> {
    const bridge = createBridgeBuffers(options.bridgeBytes);
    const shared = {
      stats: new SharedArrayBuffer(STATS_LENGTH * Float64Array.BYTES_PER_ELEMENT),
      droppedTelemetry: new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT),
    };
    const entry = pluginWorkerEntry();
    const worker = new Worker(entry.filename, {
      ...entry.options,
      workerData: { ...options.init, bridge, ...shared } satisfies WorkerInit,
      env: {},
      argv: [],
      // Extism imports node:wasi (unused: useWasi is off), which prints an ExperimentalWarning per worker.
      execArgv: ['--disable-warning=ExperimentalWarning'],
      stdout: true,
      stderr: true,
      resourceLimits: options.resourceLimits,
    });
    const handle = new PluginWorker(worker, bridge, shared, options);
    pipeLines(worker.stdout, options.logger, options.init.identity);
    pipeLines(worker.stderr, options.logger, options.init.identity);
    return handle.awaitReady();
  }

  /** Runs one call; the caller (the supervisor) never overlaps calls. */
  call(fn: string, input: Uint8Array, inputSchema?: string): Promise<WorkerCallOutcome> {
    if (this.dead) return Promise.resolve(this.lost('the worker is gone'));
    const id = this.nextId++;
    return new Promise<WorkerCallOutcome>((settle) => {
      this.pending = { id, settle };
      // A copy: the worker must not share the caller's buffer.
      const request: CallRequest = { type: 'call', id, fn, input: input.slice(), inputSchema };
      this.worker.postMessage(request);
    }).finally(() => this.options.events.callEnded(this.instance));
  }

  /** False once the thread has exited, crashed or been terminated. */
  get alive(): boolean {
    return !this.dead;
  }

  /** What the running call has used so far, readable even after a kill (see killedCallProgress). */
  progress(): Omit<CallResources, 'wall_ms'> {
    return killedCallProgress(this.stats);
  }

  /** Stops the thread at once, like terminate, and answers what its call had used. */
  async halt(): Promise<Omit<CallResources, 'wall_ms'>> {
    const progress = this.progress();
    await this.terminate();
    return progress;
  }

  /** Stops the thread at once (even inside Wasm or Atomics.wait) and aborts its main-thread ops. */
  async terminate(): Promise<void> {
    this.dead = true;
    this.abort.abort(new SandboxError('timeout', 'the plugin call was stopped'));
    await this.worker.terminate();
    this.reportUnsentDrops();
    this.options.events.callEnded(this.instance);
  }

  private awaitReady(): Promise<PluginWorker> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (error: SandboxError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        void this.terminate();
        reject(error);
      };
      const { startTimeoutMs, init } = this.options;
      let timer = setTimeout(
        () =>
          fail(
            new SandboxError(
              'start_timeout',
              `the plugin worker did not start within ${startTimeoutMs} ms`,
            ),
          ),
        startTimeoutMs,
      );
      this.worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'instantiating') {
          clearTimeout(timer);
          timer = setTimeout(
            () =>
              fail(
                new SandboxError(
                  'timeout',
                  `the plugin's instantiation and start function exceeded the wall time of ${init.limits.wallTimeMs} ms`,
                ),
              ),
            init.limits.wallTimeMs,
          );
        } else if (message.type === 'ready') {
          settled = true;
          clearTimeout(timer);
          resolve(this);
        } else if (message.type === 'init_failed') {
          fail(new SandboxError(message.error.code, message.error.message));
        } else {
          this.receive(message);
        }
      });
      this.worker.on('error', (error) => {
        // Its JavaScript heap (resourceLimits) ran out: what the plugin handed a host call was
        // decoded there, so it is the plugin's memory, coded as such.
        const code = isOutOfMemory(error) ? 'memory_limit' : 'runtime_failure';
        fail(new SandboxError(code, `plugin worker failed: ${errorMessage(error)}`));
        this.die(`the worker failed: ${errorMessage(error)}`, code);
      });
      this.worker.on('exit', (code) => {
        fail(new SandboxError('runtime_failure', `plugin worker exited with code ${code}`));
        this.reportUnsentDrops();
        this.die(`the worker exited with code ${code}`);
      });
    });
  }

  private receive(message: WorkerMessage): void {
    switch (message.type) {
      case 'result':
      case 'failed':
        if (this.pending?.id !== message.id) return;
        this.pending.settle(
          message.type === 'result'
            ? { ok: true, output: message.output, resources: message.resources }
            : { ok: false, error: message.error, resources: message.resources },
        );
        this.pending = undefined;
        return;
      case 'bridge':
        this.serveBridge();
        return;
      case 'denied': {
        const { capability, target, reason } = message;
        this.options.events.denied({ capability, target, reason });
        return;
      }
      case 'emitted':
        this.options.events.emitted?.(parseEvents(message.json));
        return;
      case 'call_ended':
        this.options.events.callEnded(this.instance);
        return;
      case 'instantiating':
      case 'ready':
      case 'init_failed':
        return;
    }
  }

  private serveBridge(): void {
    let request: { op: string; payload: unknown };
    try {
      request = readBridgeRequest(this.bridge);
    } catch (error) {
      // Never let a malformed request throw on the main thread's event loop.
      writeBridgeReply(this.bridge, { ok: false, message: errorMessage(error) });
      return;
    }
    const { op, payload } = request;
    const run = Object.hasOwn(this.options.mainThreadOps, op)
      ? this.options.mainThreadOps[op]
      : undefined;
    const secrets: string[] = [];
    const context = {
      plugin: this.options.init.identity,
      signal: this.abort.signal,
      instance: this.instance,
      releaseSecret: (value: string) => void secrets.push(value),
      policy: this.options.init.policy,
      grants: this.options.init.grants,
    };
    Promise.resolve()
      .then(() => {
        if (!run) throw new Error(`unknown main-thread operation "${op}"`);
        return run(payload, context);
      })
      .then(
        (result) => this.dead || writeBridgeReply(this.bridge, { ok: true, result, secrets }),
        (error: unknown) =>
          this.dead || writeBridgeReply(this.bridge, { ok: false, message: errorMessage(error) }),
      );
  }

  /**
   * Hands on the count of telemetry events the ended thread had dropped and not sent (its batch
   * never flushed: stopped at its wall time, crashed), once: the count is taken.
   */
  private reportUnsentDrops(): void {
    const count = this.droppedTelemetry[0];
    this.droppedTelemetry[0] = 0;
    if (count > 0) this.options.events.emitted?.([{ kind: 'telemetry_dropped', payload: count }]);
  }

  private die(reason: string, code: WorkerDeathCode = 'runtime_failure'): void {
    if (this.dead && !this.pending) return;
    this.dead = true;
    this.options.events.exited?.(reason, code);
    this.abort.abort(new SandboxError(code, reason));
    this.pending?.settle(this.lost(reason, code));
    this.pending = undefined;
  }

  private lost(reason: string, code: WorkerDeathCode = 'runtime_failure'): WorkerCallOutcome {
    return {
      ok: false,
      error: { code, message: `the plugin worker died: ${reason}` },
      resources: { ...this.progress(), wall_ms: 0 },
    };
  }
}

/** Node's error for a worker that reached its resourceLimits (ERR_WORKER_OUT_OF_MEMORY). */
const isOutOfMemory = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY';

function pipeLines(stream: Readable, logger: SandboxLogger, plugin: PluginIdentity): void {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) =>
    logger.warn(`plugin ${plugin.id}@${plugin.version}: ${line}`),
  );
}
