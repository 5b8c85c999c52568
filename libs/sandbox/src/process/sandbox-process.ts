import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { CallResources } from '../call-limits.js';
import type { CallOptions } from '../input-check.js';
import { SandboxError } from '../sandbox-error.js';
import type { CloseOptions } from '../sandbox-plugin.js';
import type { PluginSpec } from '../sandbox-runtime.js';
import type {
  FromSandboxProcess,
  ProcessFailure,
  SandboxProcessInit,
  ToSandboxProcess,
} from './process-protocol.js';

/** What a sandbox process reports besides call results. */
export interface SandboxProcessEvents {
  denied(event: { capability: string; target: string; reason: string }): void;
  log(payload: unknown): void;
  telemetry(payload: unknown): void;
  /** The process ended without being asked to (crash, fatal error, memory ceiling). */
  died(error: SandboxError): void;
}

type CallResult = { output: Uint8Array; resources: CallResources };
type Pending = { resolve: (r: CallResult) => void; reject: (e: SandboxError) => void };

const RSS_POLL_MS = 250;

/**
 * One sandbox process seen from the executor: it hosts one plugin version (its worker threads and
 * the main-thread operations of its host functions). Whatever kills it, V8 fatal errors in a
 * worker included, fails only its own calls, with `sandbox_crashed`; its resident memory (all of
 * it: heaps, Wasm memories, ArrayBuffers) is polled and the process is killed above the ceiling
 * (`memory_limit`).
 */
export class SandboxProcess {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited = false;
  private closing = false;
  private killedFor: SandboxError | undefined;
  private readonly watchdog: NodeJS.Timeout;

  private constructor(
    private readonly child: ChildProcess,
    private readonly memoryCeilingBytes: number,
    private readonly events: SandboxProcessEvents,
  ) {
    child.on('message', (message: FromSandboxProcess) => this.onMessage(message));
    child.once('exit', (code, signal) => this.onExit(code, signal));
    this.watchdog = setInterval(() => void this.checkMemory(), RSS_POLL_MS).unref();
  }

  /** Starts a process, loads the plugin in it; rejects with the SandboxError that kept it from loading. */
  static async start(
    init: SandboxProcessInit,
    plugin: { bytes: Uint8Array; sha256: string; spec: PluginSpec },
    options: { memoryCeilingBytes: number; nodeFlags: string[]; events: SandboxProcessEvents },
  ): Promise<{ process: SandboxProcess; loadMs: number; cached: boolean }> {
    const child = spawnSandboxProcess(options.nodeFlags);
    const sandbox = new SandboxProcess(child, options.memoryCeilingBytes, options.events);
    const loaded = new Promise<{ loadMs: number; cached: boolean }>((resolve, reject) => {
      sandbox.onLoad = (message) => {
        if (message.type === 'loaded') resolve(message);
        else reject(toError(message.error));
      };
      sandbox.onLoadLost = reject;
    });
    sandbox.send({ type: 'load', init, ...plugin });
    try {
      const { loadMs, cached } = await loaded;
      return { process: sandbox, loadMs, cached };
    } catch (error) {
      await sandbox.close();
      throw error;
    }
  }

  private onLoad?: (
    message: Extract<FromSandboxProcess, { type: 'loaded' | 'load_failed' }>,
  ) => void;
  private onLoadLost?: (error: SandboxError) => void;

  get alive(): boolean {
    return !this.exited && !this.closing;
  }

  /** OS process id (for diagnostics and tests). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  call(fn: string, input: Uint8Array, options: CallOptions = {}): Promise<CallResult> {
    if (!this.alive)
      return Promise.reject(new SandboxError('plugin_closed', 'the sandbox process has stopped'));
    const id = this.nextId++;
    return new Promise<CallResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ type: 'call', id, fn, input, inputSchema: options.inputSchema });
    });
  }

  /**
   * Stops the process after its calls in flight (the queued ones too, unless `refuseQueued`);
   * kills it if it does not stop in 10 s.
   */
  async close({ refuseQueued = false }: CloseOptions = {}): Promise<void> {
    if (this.exited) return;
    this.closing = true;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.send({ type: 'close', refuseQueued });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000).unref();
    await exited;
    clearTimeout(timer);
  }

  private send(message: ToSandboxProcess): void {
    if (this.exited || !this.child.connected) return;
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
      case 'result':
      case 'failed': {
        const call = this.pending.get(message.id);
        if (!call) return;
        this.pending.delete(message.id);
        if (message.type === 'result')
          call.resolve({ output: message.output, resources: message.resources });
        else call.reject(toError(message.error));
        return;
      }
      case 'denied':
        this.events.denied(message);
        return;
      case 'emitted':
        for (const { kind, payload } of message.events) this.events[kind](payload);
        return;
      case 'closed':
        return;
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited = true;
    clearInterval(this.watchdog);
    const error =
      this.killedFor ??
      new SandboxError(
        'sandbox_crashed',
        `the sandbox process ended (${signal ? `signal ${signal}` : `exit code ${code}`})`,
      );
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
    this.onLoadLost?.(error);
    if (!this.closing) this.events.died(error);
  }

  private kill(reason: SandboxError): void {
    if (this.exited) return;
    this.killedFor ??= reason;
    this.child.kill('SIGKILL');
  }

  private async checkMemory(): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    const rss = await residentBytes(this.child.pid);
    if (rss !== null && rss > this.memoryCeilingBytes) {
      this.kill(
        new SandboxError(
          'memory_limit',
          `the sandbox process used ${Math.round(rss / 1048576)} MiB, over its ${Math.round(this.memoryCeilingBytes / 1048576)} MiB ceiling`,
        ),
      );
    }
  }
}

function toError(failure: ProcessFailure): SandboxError {
  return new SandboxError(failure.code, failure.message, failure.resources, failure.details);
}

/** Resident set size of a process from /proc (Linux), or null when it cannot be read. */
async function residentBytes(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

/**
 * The compiled library runs `sandbox-process-main.js`; as TypeScript source (test suites) the
 * process first registers the test loader hooks, like plugin workers do (see worker-entry.ts).
 * The process gets an empty environment: nothing of the executor's configuration reaches it.
 * `nodeFlags` (V8 heap flags, see sandboxMemoryBudget) come first.
 */
function spawnSandboxProcess(nodeFlags: string[]): ChildProcess {
  const here = import.meta.url;
  const args = here.endsWith('.ts')
    ? [
        '--input-type=module',
        '-e',
        `import('node:module').then((m) => { m.register(${JSON.stringify(new URL('../testing/ts-hooks.mjs', here).href)}); return import(${JSON.stringify(new URL('./sandbox-process-main.ts', here).href)}); })`,
      ]
    : [new URL('./sandbox-process-main.js', here).pathname];
  return spawn(process.execPath, [...nodeFlags, '--disable-warning=ExperimentalWarning', ...args], {
    env: {},
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
}
