import { totalmem } from 'node:os';
import { Type, type Static } from '@sinclair/typebox';
import {
  ArtifactEnv,
  DistributedEnv,
  GrantPolicyEnv,
  inputSchemaBoundsOf,
  InputSchemaEnv,
  OutboxEnv,
  serviceEnv,
  type PlatformGrants,
} from '@convergio/runtime';
import type { InputSchemaBounds } from '@convergio/manifest';
import type { BusBoundSetting } from '@convergio/messaging';
import type { CallLimits, OperatorPolicy } from '@convergio/sandbox';
import type { BreakerSettings } from '../invocations/circuit-breaker.js';

// One DNS server as Resolver.setServers takes it: IPv4[:port], [IPv6]:port or IPv6.
const DNS_SERVER = String.raw`(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[\da-fA-F:.]+\](:\d{1,5})?|[\da-fA-F:]*:[\da-fA-F:.]*)`;

const int = (minimum: number, maximum: number, def: number, description: string) =>
  Type.Integer({ minimum, maximum, default: def, description });

/** The operator's limits and policy for every plugin call; shared by both modes. */
export const ExecutorLimitsEnv = {
  EXECUTOR_TIMEOUT_MS: int(
    10,
    60_000,
    5000,
    'wall time of one plugin call, ms (gateways ask for it over the bus and wait this plus 30 s for a reply)',
  ),
  EXECUTOR_FUEL: int(
    1000,
    Number.MAX_SAFE_INTEGER,
    200_000_000,
    'CPU budget of one call: loop iterations, entries of functions that may loop or recurse (one unit each per 1000 instructions or part of it), and bulk memory and table work (1 per 16 bytes, 64 per table element, table.grow 1024 per element added plus 1 per element held, memory.grow 8192 per page of the memory after it)',
  ),
  EXECUTOR_MAX_MEMORY_PAGES: int(1, 65536, 1024, 'linear memory cap of a plugin, 64 KiB pages'),
  EXECUTOR_MAX_HOST_CALLS: int(0, 10_000_000, 10_000, 'host calls one plugin call may make'),
  EXECUTOR_MAX_OUTPUT_BYTES: int(
    1,
    256 * 1024 * 1024,
    512 * 1024,
    'output of one call, bytes; in distributed mode at most the NATS max_payload less 65536 (the executor refuses to start otherwise): the output travels in one reply on the bus',
  ),
  EXECUTOR_IDLE_UNLOAD_MS: int(
    1000,
    7 * 24 * 3600 * 1000,
    600_000,
    'a loaded plugin not called for this long is unloaded',
  ),
  EXECUTOR_NON_SERVING_IDLE_UNLOAD_MS: int(
    1000,
    7 * 24 * 3600 * 1000,
    30_000,
    "a loaded version that is not its plugin's serving version (superseded by a higher approved release, or a pre-release) and not called for this long is unloaded (plugin.unloaded reason superseded); a call naming it loads it again (ADR 0022). At most EXECUTOR_IDLE_UNLOAD_MS",
  ),
  EXECUTOR_INSTANCES_PER_PLUGIN: int(
    1,
    64,
    2,
    'calls one plugin version runs at once, each on an instance (worker thread) of its own; more wait in order',
  ),
  EXECUTOR_SANDBOX_MEMORY_MB: int(
    64,
    1024 * 1024,
    1024,
    'resident memory (RSS: heaps, Wasm memories, buffers) of the sandbox process of one plugin version, MiB; a version whose worst case (ADR 0006) exceeds it is refused at load (memory_ceiling_exceeded) or given fewer instances; above it the process is killed and its calls fail with memory_limit',
  ),
  EXECUTOR_SANDBOX_MEMORY_TOTAL_MB: Type.Optional(
    Type.Integer({
      minimum: 64,
      maximum: 1024 * 1024,
      description:
        "resident memory (RSS, read every 250 ms) of all sandbox processes together, MiB; unset: half of the machine's memory. Each publisher holding loaded versions has an equal share of it. A load that would pass it (counting 80 MiB for the new process) first unloads versions (plugin.unloaded reason capacity): its publisher's own idle ones when it would pass its share, else those of the publisher most over its share, idle first, else busy (their running calls finish); with none, it is refused with 503 unavailable (detail capacity), charged to no plugin. Processes that grow past it after load get versions of the publishers most over their shares unloaded the same way (ADR 0022)",
    }),
  ),
  EXECUTOR_MAX_LOADED_PLUGINS: int(
    1,
    100_000,
    100,
    "plugin versions loaded at once per executor, each a sandbox process (so the executor's worst case is this times EXECUTOR_SANDBOX_MEMORY_MB, plus versions unloaded while their calls finish; it warns at start when that is more than the machine's memory); loading one more unloads one (ADR 0021)",
  ),
  EXECUTOR_MAX_LOADED_PER_PUBLISHER: int(
    1,
    100_000,
    25,
    "loaded versions one publisher keeps once EXECUTOR_MAX_LOADED_PLUGINS are loaded (ADR 0021): past it, its loads unload its own least recently used version, never another publisher's, and slots it took while they were free are the first taken back; versions recorded before publishers were kept count per plugin id",
  ),
  EXECUTOR_WORKER_START_TIMEOUT_MS: int(
    1000,
    600_000,
    20_000,
    'time a plugin instance (worker thread) gets to start before any plugin code runs, ms; on a busy machine it can take seconds. A load that runs out fails with start_timeout, is not charged to the plugin, and is tried again (the next call, and after approval with backoff). The start function then runs under the call wall time (EXECUTOR_TIMEOUT_MS) and fuel',
  ),
  EXECUTOR_ALLOW_PRIVATE_NETWORKS: Type.Boolean({
    default: false,
    description: 'let plugins reach loopback, private, link-local and metadata addresses',
  }),
  EXECUTOR_MAX_FILE_BYTES: int(
    1,
    1024 * 1024 * 1024,
    8 * 1024 * 1024,
    'largest file a plugin may read or write, bytes; what one fs_write sends is also bounded by the 12 MiB a host call takes (about 9 MiB as base64)',
  ),
  EXECUTOR_HTTP_TIMEOUT_MS: int(100, 60_000, 10_000, 'time of one http_request, ms'),
  EXECUTOR_DNS_SERVERS: Type.Optional(
    Type.String({
      pattern: `^(${DNS_SERVER}(,(?!$)|$))+$`,
      description:
        "the only DNS servers that resolve the names plugins connect to (A and AAAA; /etc/hosts is not read), comma-separated ip, ip:port or [ipv6]:port; unset: /etc/hosts, then the system's DNS servers as configured at start",
    }),
  ),
  EXECUTOR_MAX_HTTP_BYTES: int(
    1024,
    64 * 1024 * 1024,
    1024 * 1024,
    'request and response size of one http_request, bytes; a request body is also bounded by the 12 MiB a host call takes',
  ),
  EXECUTOR_MAX_WS_MESSAGE_BYTES: int(
    1,
    16 * 1024 * 1024,
    256 * 1024,
    'websocket message size, bytes; a message sent is also bounded by the 12 MiB a host call takes',
  ),
  EXECUTOR_PROC_TIMEOUT_MS: int(100, 60_000, 5000, 'time of one proc_exec, ms'),
  EXECUTOR_MAX_PROC_OUTPUT_BYTES: int(
    1,
    64 * 1024 * 1024,
    1024 * 1024,
    'stdout and stderr of one proc_exec, bytes each',
  ),
  EXECUTOR_MAX_LOG_BYTES: int(64, 1024 * 1024, 4096, 'size of one log line, bytes'),
  EXECUTOR_LOG_LINES_PER_SECOND: int(1, 10_000, 5, 'log lines a plugin may write per second'),
  EXECUTOR_TELEMETRY_EVENTS_PER_SECOND: int(
    1,
    1_000_000,
    1000,
    'telemetry_emit events one plugin may emit per second, all its instances together (a burst of one second is allowed); the rest are dropped and counted in convergio_plugin_telemetry_dropped_total',
  ),
  EXECUTOR_TELEMETRY_EVENTS_PER_SECOND_PER_PUBLISHER: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      description:
        "telemetry_emit events all the plugins of one publisher may emit per second together (a burst of one second is allowed); unset: twice EXECUTOR_TELEMETRY_EVENTS_PER_SECOND. Checked after the per-plugin rate; the rest are dropped and counted in convergio_plugin_telemetry_dropped_total of the plugin that sent them, so that the executor spends on one publisher's telemetry the same however many plugins it loads (ADR 0029)",
    }),
  ),
  EXECUTOR_DENIALS_PER_SECOND: int(
    1,
    1_000_000,
    200,
    'refusals (permission.denied) one plugin version may send per second, all its instances together (a burst of one second is allowed, once per load of the version, not per instance); past it, each refusal waits its turn in the refused call, whose wall time keeps running: none is dropped, and a plugin spending its host calls on denials runs out of time instead of flooding the executor',
  ),
  EXECUTOR_BREAKER_THRESHOLD: int(
    1,
    1000,
    5,
    'crashes among the last 2 × this many calls of a plugin version that pause it (successes in between do not reset the count; crashes of calls started before a pause count toward none)',
  ),
  EXECUTOR_BREAKER_BACKOFF_MS: int(
    100,
    3_600_000,
    1000,
    'first pause of a crashing plugin; after it one probe call runs, and a crash of the probe or a new pause before a full window of calls doubles it, up to 5 minutes',
  ),
  ...InputSchemaEnv,
};

/** Environment of the executor in distributed mode. */
export const ExecutorConfig = Type.Object({
  ...DistributedEnv,
  ...OutboxEnv,
  ...ArtifactEnv,
  ...GrantPolicyEnv,
  ...serviceEnv(3004),
  ...ExecutorLimitsEnv,
});

type LimitsEnv = Static<ReturnType<typeof Type.Object<typeof ExecutorLimitsEnv>>>;

/** What the executor runs plugins under. */
export interface ExecutorSettings {
  limits: CallLimits;
  /** What every plugin gets before its own grants are added (see PolicyGate). */
  policy: OperatorPolicy;
  /** telemetry_emit events all one publisher's plugins may emit per second together (ADR 0029). */
  telemetryEventsPerSecondPerPublisher: number;
  /** The operator grant policy and the paths never granted. */
  grants: PlatformGrants;
  idleUnloadMs: number;
  /** Idle time after which a version that is not its plugin's serving version is unloaded, ms. */
  nonServingIdleUnloadMs: number;
  instancesPerPlugin: number;
  /** Resident-memory ceiling of one sandbox process, bytes. */
  sandboxMemoryBytes: number;
  /** Resident-memory ceiling of all sandbox processes together, bytes (ADR 0022). */
  sandboxMemoryTotalBytes: number;
  maxLoadedPlugins: number;
  /** Loaded versions one publisher keeps when every slot is taken (ADR 0021). */
  maxLoadedPerPublisher: number;
  /** Time an instance gets to start before any plugin code runs, ms. */
  workerStartTimeoutMs: number;
  breaker: BreakerSettings;
  /** The only DNS servers plugin network calls may ask; null: /etc/hosts and the system's servers. */
  dnsServers: string[] | null;
  /** What a tool's input schema must fit before input is checked against it. */
  inputSchemaBounds: InputSchemaBounds;
}

/**
 * EXECUTOR_MAX_OUTPUT_BYTES as a bound on one bus message (checkFitsBus): a call's output travels
 * back in one reply.
 */
export function outputBusBound(maxOutputBytes: number): BusBoundSetting {
  return {
    variable: 'EXECUTOR_MAX_OUTPUT_BYTES',
    bytes: maxOutputBytes,
    carries: "one call's output (in its reply)",
  };
}

/** The executor's settings from its validated environment and the loaded grant policy. */
export function executorSettings(env: LimitsEnv, grants: PlatformGrants): ExecutorSettings {
  const { max } = grants.policy.limits;
  return {
    // The grant policy's caps bound what a call gets by default too, not only what manifests ask.
    limits: {
      wallTimeMs: Math.min(env.EXECUTOR_TIMEOUT_MS, max.wall_time_ms ?? Infinity),
      fuel: Math.min(env.EXECUTOR_FUEL, max.fuel ?? Infinity),
      maxMemoryPages: Math.min(env.EXECUTOR_MAX_MEMORY_PAGES, max.memory_pages ?? Infinity),
      maxHostCalls: Math.min(env.EXECUTOR_MAX_HOST_CALLS, max.max_host_calls ?? Infinity),
      maxOutputBytes: env.EXECUTOR_MAX_OUTPUT_BYTES,
    },
    policy: {
      allowPrivateNetworks: env.EXECUTOR_ALLOW_PRIVATE_NETWORKS,
      maxFileBytes: env.EXECUTOR_MAX_FILE_BYTES,
      maxHttpRequestBytes: env.EXECUTOR_MAX_HTTP_BYTES,
      maxHttpResponseBytes: env.EXECUTOR_MAX_HTTP_BYTES,
      httpTimeoutMs: env.EXECUTOR_HTTP_TIMEOUT_MS,
      maxWebSocketMessageBytes: env.EXECUTOR_MAX_WS_MESSAGE_BYTES,
      maxProcOutputBytes: env.EXECUTOR_MAX_PROC_OUTPUT_BYTES,
      procTimeoutMs: env.EXECUTOR_PROC_TIMEOUT_MS,
      maxLogBytes: env.EXECUTOR_MAX_LOG_BYTES,
      logLinesPerSecond: env.EXECUTOR_LOG_LINES_PER_SECOND,
      telemetryEventsPerSecond: env.EXECUTOR_TELEMETRY_EVENTS_PER_SECOND,
      denialsPerSecond: env.EXECUTOR_DENIALS_PER_SECOND,
      protection: { roots: grants.protectedRoots, ownDir: null },
      pluginDir: null,
    },
    telemetryEventsPerSecondPerPublisher:
      env.EXECUTOR_TELEMETRY_EVENTS_PER_SECOND_PER_PUBLISHER ??
      2 * env.EXECUTOR_TELEMETRY_EVENTS_PER_SECOND,
    grants,
    idleUnloadMs: env.EXECUTOR_IDLE_UNLOAD_MS,
    nonServingIdleUnloadMs: Math.min(
      env.EXECUTOR_NON_SERVING_IDLE_UNLOAD_MS,
      env.EXECUTOR_IDLE_UNLOAD_MS,
    ),
    instancesPerPlugin: env.EXECUTOR_INSTANCES_PER_PLUGIN,
    sandboxMemoryBytes: env.EXECUTOR_SANDBOX_MEMORY_MB * 1024 * 1024,
    sandboxMemoryTotalBytes:
      env.EXECUTOR_SANDBOX_MEMORY_TOTAL_MB === undefined
        ? Math.floor(totalmem() / 2)
        : env.EXECUTOR_SANDBOX_MEMORY_TOTAL_MB * 1024 * 1024,
    maxLoadedPlugins: env.EXECUTOR_MAX_LOADED_PLUGINS,
    maxLoadedPerPublisher: env.EXECUTOR_MAX_LOADED_PER_PUBLISHER,
    workerStartTimeoutMs: env.EXECUTOR_WORKER_START_TIMEOUT_MS,
    breaker: {
      threshold: env.EXECUTOR_BREAKER_THRESHOLD,
      baseBackoffMs: env.EXECUTOR_BREAKER_BACKOFF_MS,
      maxBackoffMs: 300_000,
    },
    dnsServers: env.EXECUTOR_DNS_SERVERS?.split(',') ?? null,
    inputSchemaBounds: inputSchemaBoundsOf(env),
  };
}
