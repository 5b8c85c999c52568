// Messages between the executor (parent) and one sandbox process (child), over Node's IPC
// channel with `advanced` serialization (byte arrays cross as they are). Plain data only.
import type { ErrorDetail } from '@convergio/contracts';
import type { EmittedEvent } from '../worker-protocol.js';
import type { CallResources } from '../call-limits.js';
import type { OperatorPolicy } from '../host-api.js';
import type { SandboxErrorCode } from '../sandbox-error.js';
import type { PluginSpec } from '../sandbox-runtime.js';
import type { CallLimits } from '../call-limits.js';

/**
 * A module the sandbox process imports to build what runs on its main thread. It must export
 * `createSandboxServices(options)` returning {@link SandboxServices}; `options` is plain data.
 */
export interface SandboxServicesSpec {
  module: string;
  options: unknown;
}

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
  inputCheckModule: string | null;
  services: SandboxServicesSpec | null;
  policy: OperatorPolicy;
  defaults: CallLimits;
  instancesPerPlugin: number;
}

/** A failure as the sandbox process reports it. */
export interface ProcessFailure {
  code: SandboxErrorCode;
  message: string;
  resources?: CallResources;
  details?: ErrorDetail[];
}

/** Parent → child. */
export type ToSandboxProcess =
  | { type: 'load'; init: SandboxProcessInit; bytes: Uint8Array; sha256: string; spec: PluginSpec }
  | { type: 'call'; id: number; fn: string; input: Uint8Array; inputSchema?: string }
  | { type: 'close'; refuseQueued: boolean };

/** Child → parent. */
export type FromSandboxProcess =
  | { type: 'loaded'; loadMs: number; cached: boolean }
  | { type: 'load_failed'; error: ProcessFailure }
  | { type: 'result'; id: number; output: Uint8Array; resources: CallResources }
  | { type: 'failed'; id: number; error: ProcessFailure }
  | { type: 'denied'; capability: string; target: string; reason: string }
  | { type: 'emitted'; events: EmittedEvent[] }
  | { type: 'closed' };
