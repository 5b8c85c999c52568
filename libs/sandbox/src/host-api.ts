import type { HostCallErrorCode, Permissions, Trust } from '@convergio/contracts';
import type { NetPolicy, PathProtection } from '@convergio/policy';

/**
 * The contract between the sandbox and the host functions of the plugin ABI (docs/plugin-abi.md).
 * Host functions run INSIDE the plugin's worker thread, synchronously, between two
 * instructions of the plugin: they take the plugin's JSON input and return JSON.
 */

/**
 * Operator settings every host function obeys; plain JSON so it can cross into the worker.
 * The network part (`allowPrivateNetworks`: loopback, private, link-local and metadata
 * addresses; `denied`: the grant policy's hosts, suffixes and CIDRs) is per plugin.
 */
export interface OperatorPolicy extends NetPolicy {
  /** The platform's own files, never granted; `ownDir` is the plugin's own directory. */
  protection: PathProtection;
  /** What `$PLUGIN_DIR` names in this plugin's fs calls; null outside a plugin (tests). */
  pluginDir: string | null;
  /** Caps on what one host call may move. */
  maxFileBytes: number;
  maxHttpRequestBytes: number;
  maxHttpResponseBytes: number;
  httpTimeoutMs: number;
  maxWebSocketMessageBytes: number;
  maxProcOutputBytes: number;
  procTimeoutMs: number;
  maxLogBytes: number;
  /** Log lines a plugin may write per second; the rest are dropped and counted. */
  logLinesPerSecond: number;
  /**
   * telemetry_emit events one instance may send per second (a burst of one second's worth); the
   * rest are dropped before they leave the sandbox and only counted. The executor applies the
   * same rate again to each plugin, all its instances together.
   */
  telemetryEventsPerSecond: number;
  /**
   * Refusals (permission.denied) one plugin version may send per second, all its instances
   * together and those replacing them included (a burst of one second's worth); past it, each
   * refusal waits its turn, in the refused call's wall time: none is dropped, and a denial flood
   * cannot outpace what the executor records.
   */
  denialsPerSecond: number;
}

/** Who is calling and what it was granted. */
export interface PluginIdentity {
  id: string;
  version: string;
  trust: Trust;
}

/** A refusal or failure a plugin receives as a normal result (never a trap), e.g. `permission_denied`. */
export interface HostError {
  error: { code: HostCallErrorCode; message: string; capability?: string; target?: string };
}

/** What a host function sees of the world. */
export interface HostEnvironment {
  plugin: PluginIdentity;
  grants: Permissions;
  policy: OperatorPolicy;
  /**
   * Records a refusal (a permission.denied event, sent without blocking, but past
   * policy.denialsPerSecond only once its turn comes) and returns the structured error to hand
   * back to the plugin.
   */
  deny(capability: string, target: string, reason: string): HostError;
  /**
   * Runs `op` on the main thread (network I/O lives there) and blocks this worker until it
   * answers. The call's wall-time limit keeps running: a worker stuck here is terminated.
   * Throws if the operation failed. The payload and the result cross as structured clones
   * (V8's serialisation): bytes travel as a Buffer, not as text. Both must fit the bridge,
   * which is sized for what the ABI's limits allow (bridgeBytes, ADR 0030).
   */
  callMain(op: string, payload: unknown): unknown;
  /**
   * Sends a log line or a telemetry event to the executor without blocking; they travel in
   * batches, as JSON, at the latest when the call ends (a worker stopped at its wall time loses
   * the rest). `payload` must be JSON data and is not copied: the caller must not change it.
   */
  emit(kind: 'log' | 'telemetry', payload: unknown): void;
  /**
   * `emit('log', {level, message})` for a line with nothing else to say (most lines), without
   * the object: such lines travel as strings, cheaper to send (a plugin may log on every host call).
   */
  emitLogLine(level: string, message: string): void;
  /**
   * Counts one telemetry event the sandbox's rate limit dropped. The count travels with the
   * events, one number for however many were dropped, at the latest when the call ends.
   */
  countDroppedTelemetry(): void;
  /** Secret values released to this plugin during this call, for redaction. */
  releasedSecrets(): readonly string[];
}

/**
 * Reads a host function's input block without JSON.parse when it is in a form the function knows
 * (its usual one); undefined: it is not, and JSON.parse reads it. For every block it reads, it
 * must answer what JSON.parse of the block's UTF-8 text would. Decoding and parsing the text are
 * otherwise about half of what a cheap host call such as `log` costs.
 */
export type InputDecoder = (bytes: Buffer) => unknown;

/** A host function: the plugin's parsed JSON input in, JSON output (or a HostError) out. Never throws. */
export interface JsonHostFunction {
  (input: unknown): unknown;
  readonly decodeInput?: InputDecoder;
}

/** Host functions by ABI name. */
export type HostFunctionTable = Record<string, JsonHostFunction>;

/**
 * What a host-functions module (loaded inside each plugin worker by URL) must export as
 * `createHostFunctions`.
 */
export type HostFunctionFactory = (env: HostEnvironment) => HostFunctionTable;

/** What a main-thread operation knows of the call it serves. */
export interface MainThreadOpContext {
  plugin: PluginIdentity;
  /** Aborted when the call is stopped (wall time, plugin closed, worker crashed). */
  signal: AbortSignal;
  /**
   * The instance (worker) serving the call, unique in the process. An instance serves one call at
   * a time, so what an op keeps for a call (an open socket) is filed under it and released when
   * the runtime reports the call ended (`SandboxRuntimeOptions.onCallEnd`).
   */
  instance: string;
  /** Records a secret value handed to the plugin; the worker's `releasedSecrets()` then lists it. Always set by the sandbox; optional so tests can call ops with a bare context. */
  releaseSecret?(value: string): void;
  /**
   * The operator policy the plugin runs under, and its grants: the main thread's own copies of
   * what its worker has, never sent over the bridge with each request.
   */
  policy: OperatorPolicy;
  grants: Permissions;
}

/** Main-thread operations a host function may reach through `callMain`; may be async. */
export type MainThreadOps = Record<
  string,
  // May return a promise; the worker waits for it to settle.
  (payload: unknown, context: MainThreadOpContext) => unknown
>;
