import type { ResourceLimits } from 'node:worker_threads';
import type { CallLimits } from './call-limits.js';
import type { OperatorPolicy } from './host-api.js';
import { SandboxError } from './sandbox-error.js';
import { MAX_VAR_BYTES } from './worker/kernel-vars.js';

const MiB = 1024 * 1024;
const PAGE_BYTES = 65536;

/** JS heap of each plugin worker; Wasm memory and Extism blocks live outside it. */
export const WORKER_RESOURCE_LIMITS: Readonly<
  Required<
    Pick<ResourceLimits, 'maxOldGenerationSizeMb' | 'maxYoungGenerationSizeMb' | 'stackSizeMb'>
  >
> = Object.freeze({ maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 });

/** Largest call input a sandbox process is handed (the bus's message size). */
const MAX_CALL_INPUT_BYTES = MiB;

// Measured resident sizes (Node 20, this machine): an idle sandbox process with one instance
// used 79 MiB, each further instance about 15 MiB (a worker's Node environment, Extism, the
// host functions' code).
const PROCESS_BASE_BYTES = 64 * MiB;
const WORKER_BASE_BYTES = 16 * MiB;

/**
 * What a sandbox process holds resident once its first instance runs, before any call (measured,
 * see above): what a load counts on before it starts one, and what a process counts for until
 * its resident set is first read.
 */
export const SANDBOX_START_BYTES = PROCESS_BASE_BYTES + WORKER_BASE_BYTES;
// The main thread's heap: its own needs, plus per instance the bridge's messages both ways and
// the websocket queues (MAX_SOCKETS sockets, each pausing once it holds a message's worth; counted
// as text at 2 bytes a byte, though messages wait as bytes since ADR 0030; one 64 KiB read may
// land after the pause, and each message of such a read, 2 bytes at least, costs an object of
// about 64 bytes).
const MAIN_OLD_SPACE_BASE_MB = 32;
const MAIN_SEMI_SPACE_MB = 8;
const MAX_SOCKETS = 8;
const SOCKET_READ_BYTES = 64 * 1024;
const SOCKET_MESSAGE_OVERHEAD_BYTES = (SOCKET_READ_BYTES / 2) * 64;
// What a message on the bridge holds besides the body or message its cap bounds, at most (ADR
// 0030; strings at 2 bytes a UTF-16 unit): a secret value (25 KiB of UTF-8) twice, as the result
// and as the value released for redaction, 100 KiB; a response's header lines (under the 16 KiB
// parser cap set on each request) and its URL (8192 characters once encoded), 48 KiB; a URL
// twice, in a target (its href, and its path, query and host) or a refusal, 32 KiB; structure.
const BRIDGE_OVERHEAD_BYTES = 128 * 1024;

/**
 * Bytes of the shared buffer a worker's host functions reach the main thread through: room for
 * the largest message the ABI's limits allow (ADR 0030). An HTTP request counts twice its cap
 * (its header lines and URL count once towards the cap, and may cross as 2 bytes a character);
 * a response body and a websocket message cross as their bytes.
 */
export function bridgeBytes(policy: OperatorPolicy): number {
  const largest = Math.max(
    2 * policy.maxHttpRequestBytes,
    policy.maxHttpResponseBytes,
    policy.maxWebSocketMessageBytes,
  );
  return largest + BRIDGE_OVERHEAD_BYTES;
}

/** The most a sandbox process can hold resident, by what holds it (ADR 0006). */
export interface SandboxMemoryBudget {
  /** Instances (worker threads) the process runs. */
  instances: number;
  /** Whatever its instances do: the Node process and its main thread's heap. */
  processBytes: number;
  /** What each instance adds, in its worker and on the main thread. */
  instanceBytes: number;
  /** `processBytes + instances × instanceBytes`. */
  totalBytes: number;
  /** V8 flags the process is started with: its main heap cap, and collections on demand. */
  nodeFlags: string[];
}

/**
 * Everything a sandbox process of one plugin version can allocate, summed from the bounds that
 * hold each allocation: per instance a worker's heap (WORKER_RESOURCE_LIMITS) and Node base, two
 * linear memories at the page cap (the instance's and a replaced one's, reclaimed before the next
 * replacement), the Extism blocks at the same cap (freed blocks and host I/O buffers counted
 * until collected), one host call's file or process buffers, vars, the bridge, the output and
 * the input; on the main thread, per instance, HTTP bodies, websocket buffers, the output's IPC
 * copy and the input, and a heap capped by `--max-old-space-size`.
 */
export function sandboxMemoryBudget(
  limits: CallLimits,
  policy: OperatorPolicy,
  instances: number,
): SandboxMemoryBudget {
  const cap = limits.maxMemoryPages * PAGE_BYTES;
  const bridge = bridgeBytes(policy);
  const ws = policy.maxWebSocketMessageBytes;
  const worker = WORKER_RESOURCE_LIMITS;
  const workerHeap =
    (worker.maxOldGenerationSizeMb + worker.maxYoungGenerationSizeMb + worker.stackSizeMb) * MiB;
  const hostIo = Math.max(policy.maxFileBytes, 2 * policy.maxProcOutputBytes);
  const inWorker =
    workerHeap +
    WORKER_BASE_BYTES +
    2 * cap + // linear memories
    cap + // Extism blocks, live and not yet collected
    hostIo +
    MAX_VAR_BYTES +
    bridge +
    limits.maxOutputBytes +
    MAX_CALL_INPUT_BYTES;
  const socketHeap = 2 * (2 * ws + SOCKET_READ_BYTES) + SOCKET_MESSAGE_OVERHEAD_BYTES;
  const mainHeapPerInstance = 2 * bridge + MAX_SOCKETS * socketHeap;
  const onMain =
    mainHeapPerInstance +
    policy.maxHttpRequestBytes +
    policy.maxHttpResponseBytes +
    MAX_SOCKETS * (ws + SOCKET_READ_BYTES) + // websocket receive buffers
    limits.maxOutputBytes + // its IPC copy
    2 * MAX_CALL_INPUT_BYTES;
  const mainOldSpaceMb =
    MAIN_OLD_SPACE_BASE_MB + Math.ceil((instances * mainHeapPerInstance) / MiB);
  // Young generation: two semi-spaces and as much for new large objects.
  const processBytes = PROCESS_BASE_BYTES + (MAIN_OLD_SPACE_BASE_MB + 3 * MAIN_SEMI_SPACE_MB) * MiB;
  const instanceBytes = inWorker + onMain;
  return {
    instances,
    processBytes,
    instanceBytes,
    totalBytes: processBytes + instances * instanceBytes,
    nodeFlags: [
      `--max-old-space-size=${mainOldSpaceMb}`,
      `--max-semi-space-size=${MAIN_SEMI_SPACE_MB}`,
      // Plugin workers collect on demand (see KernelMemory), and reclaim at once what they free.
      '--expose-gc',
      '--no-concurrent-array-buffer-sweeping',
    ],
  };
}

/**
 * The budget with the most instances, up to `wanted`, whose worst case fits `ceilingBytes`.
 * Throws a SandboxError `memory_ceiling_exceeded` when not even one instance fits: the version
 * could outgrow the ceiling, and would be killed for it, whatever it did.
 */
export function fitSandboxMemory(
  ceilingBytes: number,
  limits: CallLimits,
  policy: OperatorPolicy,
  wanted: number,
): SandboxMemoryBudget {
  for (let instances = wanted; instances >= 1; instances--) {
    const budget = sandboxMemoryBudget(limits, policy, instances);
    if (budget.totalBytes <= ceilingBytes) return budget;
  }
  const one = sandboxMemoryBudget(limits, policy, 1);
  throw new SandboxError(
    'memory_ceiling_exceeded',
    `one instance of this version may use up to ${mib(one.totalBytes)} MiB (of which ${mib(2 * limits.maxMemoryPages * PAGE_BYTES)} MiB of linear memory and ${mib(limits.maxMemoryPages * PAGE_BYTES)} MiB of Extism blocks at ${limits.maxMemoryPages} pages), more than the sandbox process ceiling of ${mib(ceilingBytes)} MiB: lower memory_pages or raise EXECUTOR_SANDBOX_MEMORY_MB`,
  );
}

const mib = (bytes: number) => Math.ceil(bytes / MiB);
