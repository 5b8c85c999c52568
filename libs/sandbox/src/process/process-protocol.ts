// Control messages between the executor (parent) and one sandbox process (child), over Node's IPC
// channel with `advanced` serialization (byte arrays cross as they are). Plain data only. Calls,
// their results and what they emit do not cross here: each plugin worker of the process has a
// call socket of its own to the executor (see ../channel/call-frames.ts).
import type { CallLimits, CallResources } from '../call-limits.js';
import type { InputCheckSpec } from '../input-check.js';
import type { OperatorPolicy } from '../host-api.js';
import type { SandboxErrorCode } from '../sandbox-error.js';
import type { WorkerDeathCode } from '../plugin-worker.js';
import type { PluginSpec } from '../sandbox-runtime.js';

/**
 * A module the sandbox process imports to build what runs on its main thread. It must export
 * `createSandboxServices(options)` returning {@link SandboxServices}; `options` is plain data.
 */
export interface SandboxServicesSpec {
  module: string;
  options: unknown;
}

/**
 * Asks the executor to run `op` for the plugin version this sandbox process hosts (the executor
 * knows which: it never takes the sandbox's word for it) and resolves to its result; rejects with
 * the executor's message. For what only the executor may reach (the bus: secret reads).
 */
export type ExecutorLink = (op: string, payload: unknown) => Promise<unknown>;

/** What {@link SandboxServicesSpec}'s module builds inside the sandbox process. */
export interface SandboxServices {
  ops: import('../host-api.js').MainThreadOps;
  /** A call on `instance` ended: release what the ops keep for it (sockets). */
  onCallEnd?: (instance: string) => void;
}

/** How the sandbox process builds its runtime. */
export interface SandboxProcessInit {
  hostFunctionsModule: string;
  hostFunctions: readonly string[];
  inputCheck: InputCheckSpec | null;
  services: SandboxServicesSpec | null;
  policy: OperatorPolicy;
  defaults: CallLimits;
  /** See SandboxRuntimeOptions.workerStartTimeoutMs. */
  workerStartTimeoutMs?: number;
}

/** A failure as the sandbox process reports it. */
export interface ProcessFailure {
  code: SandboxErrorCode;
  message: string;
}

/** What a halted instance's call had used (see killedCallProgress). */
export type CallProgress = Omit<CallResources, 'wall_ms'>;

/** What a call had used when nothing can say any more (its worker or process is gone). */
export const UNKNOWN_PROGRESS: CallProgress = Object.freeze({ memory_pages: null, host_calls: 0 });

/**
 * Parent → child. `load` prepares the plugin; each instance (a worker) is started, and halted,
 * on request, and greets the executor on `callSocketPath` with its `instance` name.
 * `executor_reply` answers an `executor_request` (see {@link ExecutorLink}).
 */
export type ToSandboxProcess =
  | { type: 'load'; init: SandboxProcessInit; bytes: Uint8Array; sha256: string; spec: PluginSpec }
  | { type: 'start_instance'; instance: string; callSocketPath: string }
  | { type: 'halt_instance'; instance: string }
  | { type: 'close' }
  | { type: 'executor_reply'; id: number; ok: true; result: unknown }
  | { type: 'executor_reply'; id: number; ok: false; message: string };

/**
 * Child → parent. `instance_exited`: an instance died on its own (crash, exit). An instance that
 * ended (`instance_exited`, `instance_halted`) reports with `droppedTelemetry` the telemetry
 * events it had dropped over its rate and not yet sent (a non-negative integer).
 */
export type FromSandboxProcess =
  | { type: 'loaded'; functions: string[]; limits: CallLimits; cached: boolean }
  | { type: 'load_failed'; error: ProcessFailure }
  | { type: 'instance_started'; instance: string }
  | { type: 'instance_failed'; instance: string; error: ProcessFailure }
  | {
      type: 'instance_exited';
      instance: string;
      reason: string;
      code: WorkerDeathCode;
      progress: CallProgress;
      droppedTelemetry: number;
    }
  | { type: 'instance_halted'; instance: string; progress: CallProgress; droppedTelemetry: number }
  | { type: 'closed' }
  | { type: 'executor_request'; id: number; op: string; payload: unknown };
