// Messages between a plugin's supervisor (main thread) and its worker. Plain data only.
import type { ErrorDetail, Permissions } from '@convergio/contracts';
import type { CallLimits, CallResources } from './call-limits.js';
import type { InputCheckSpec } from './input-check.js';
import type { OperatorPolicy, PluginIdentity } from './host-api.js';
import type { SandboxErrorCode } from './sandbox-error.js';
import type { BridgeBuffers } from './sync-bridge.js';

/**
 * Where a worker of a sandbox process takes its calls: the executor's Unix socket at `path`,
 * which it greets with `instance` (see channel/call-frames.ts). Without one, calls come from the
 * worker's parent port.
 */
export interface CallSocket {
  path: string;
  instance: string;
}

/** `workerData` of a plugin worker. */
export interface WorkerInit {
  module: WebAssembly.Module;
  hostFunctionsModule: string;
  identity: PluginIdentity;
  grants: Permissions;
  policy: OperatorPolicy;
  /** The limits of every call; the start function (run at instantiation) gets one call's fuel and host calls. */
  limits: CallLimits;
  /** The plugin's input schemas by name, compiled on first use by `inputCheck`'s compiler. */
  inputSchemas: Record<string, unknown>;
  /** What compiles `inputSchemas`; null when the runtime has none. */
  inputCheck: InputCheckSpec | null;
  bridge: BridgeBuffers;
  /** Float64Array [fuel granted, host calls] of the running call, readable after a terminate. */
  stats: SharedArrayBuffer;
  /**
   * Float64Array [telemetry events dropped and not yet sent] (see EventBatch), readable after a
   * terminate: the count a stopped worker held still reaches the executor.
   */
  droppedTelemetry: SharedArrayBuffer;
  /**
   * The plugin version's denial bucket (see createDenialBucket), shared by all its workers,
   * those replacing others included: its refusals are paced together.
   */
  denialBucket: SharedArrayBuffer;
  callSocket?: CallSocket;
}

/** Main → worker (or executor → worker, on a call socket). */
export interface CallRequest {
  type: 'call';
  id: number;
  fn: string;
  input: Uint8Array;
  /** The input schema the input must match before `fn` runs (see CallOptions). */
  inputSchema?: string;
}

/** A failure as the worker reports it. */
export interface WorkerFailure {
  code: SandboxErrorCode;
  message: string;
  /** The problems of an `input_invalid` input. */
  details?: ErrorDetail[];
}

/** What a call answers and emits; on a call socket these go to the executor. */
export type CallMessage =
  | { type: 'result'; id: number; output: Uint8Array; resources: CallResources }
  | { type: 'failed'; id: number; error: WorkerFailure; resources: CallResources }
  | { type: 'denied'; capability: string; target: string; reason: string }
  /**
   * `json`: the JSON text of an event batch (see EventBatch; one string crosses far cheaper than
   * objects).
   */
  | { type: 'emitted'; json: string };

/**
 * Worker → main. `instantiating`: the worker has started and now runs the plugin's code
 * (instantiation and its start function), under the call wall time. `call_ended`: a call that
 * used main-thread operations ended (call sockets only).
 */
export type WorkerMessage =
  | { type: 'instantiating' }
  | { type: 'ready' }
  | { type: 'init_failed'; error: WorkerFailure }
  | { type: 'bridge' }
  | { type: 'call_ended' }
  | CallMessage;

/**
 * A log line or telemetry event a host function emitted, or how many telemetry events the
 * sandbox dropped since the previous batch (`telemetry_dropped`, a positive integer); sent in
 * batches.
 */
export type EmittedEvent =
  { kind: 'log' | 'telemetry'; payload: unknown } | { kind: 'telemetry_dropped'; payload: number };
