import { getServers } from 'node:dns';
import { totalmem } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  IDLE_CRASH_FUNCTION,
  parsePluginVersionKey,
  pluginVersionKey,
  type Manifest,
  type PluginVersionKey,
} from '@convergio/contracts';
import { ARTIFACT_STORE, type ArtifactStore } from '@convergio/artifacts';
import {
  HOST_FUNCTION_NAMES,
  SECRET_GET_OP,
  type SandboxServicesOptions,
} from '@convergio/host-calls';
import { TransactionalOutbox, type MessageContext } from '@convergio/messaging';
import {
  fitSandboxMemory,
  ProcessSandboxRuntime,
  SANDBOX_START_BYTES,
  SandboxError,
  type CallLimits,
  type CloseOptions,
  type PluginIdentity,
  type ProcessSandboxPlugin,
} from '@convergio/sandbox';
import type { ExecutorSettings } from '../config/executor.config.js';
import { PolicyGate } from '../versions/policy-gate.js';
import type { RunnableRecord } from '../versions/version-record.js';
import { PluginEvents } from '../lifecycle/plugin-events.js';
import { CallMetrics } from '../metrics/call-metrics.js';
import { SecretAccess } from '../secrets/secret-access.js';
import { TelemetryMetrics } from '../metrics/telemetry-metrics.js';
import { deniedEvent, DenialRecorder } from './denial-recorder.js';
import { EXECUTOR_SETTINGS } from './executor-limits.js';
import { capacityRefusal } from './load-failures.js';
import { slotOwner, slotToFree } from './loaded-slots.js';
import { memoryToFree, type MemoryHolding } from './memory-shares.js';
import { toolInputSchemas } from './tool-input.js';

/** A loaded version: its load, the publisher its slot is charged to, and the plugin once loaded. */
interface LoadedSlot {
  plugin: Promise<ProcessSandboxPlugin>;
  publisher: string;
  ready?: ProcessSandboxPlugin;
}

// Loaded by URL inside every sandbox process and plugin worker, so they must be built modules.
const builtModule = (specifier: string) =>
  pathToFileURL(createRequire(import.meta.url).resolve(specifier));
const HOST_FUNCTIONS = builtModule('@convergio/host-calls/host-functions');
const SANDBOX_SERVICES = builtModule('@convergio/host-calls/sandbox-services');
const TOOL_INPUT_CHECK = builtModule('@convergio/manifest/tool-input-check');
// How often the sandbox processes' total is checked against its ceiling (their RSS is read as often).
const MEMORY_CHECK_MS = 250;

/**
 * The plugins loaded by this executor: per version, a sandbox process of its own (ADR 0006)
 * running its instances (a worker thread each, up to EXECUTOR_INSTANCES_PER_PLUGIN), which also
 * check each tool call's input against the tool's input_schema, under the call's wall time. A
 * crashed sandbox process fails only that version's calls and is started again by the next one.
 */
@Injectable()
export class PluginHost implements OnApplicationShutdown {
  private readonly log = new Logger(PluginHost.name);
  private readonly runtime: ProcessSandboxRuntime;
  /** Loaded versions, least recently used first. */
  private readonly loaded = new Map<PluginVersionKey, LoadedSlot>();
  /**
   * Settles when the last load waiting for room under the memory ceiling has started its process,
   * or the last check of the total (see {@link checkMemoryTotal}) has made it fit.
   */
  private memoryTurns: Promise<unknown> = Promise.resolve();
  /**
   * Versions unloaded whose processes are still finishing their calls, with their publisher;
   * `exited` settles once the process is gone and the version left this set.
   */
  private readonly draining = new Set<{
    key: PluginVersionKey;
    publisher: string;
    plugin: ProcessSandboxPlugin;
    exited: Promise<void>;
  }>();
  private readonly memoryWatch: NodeJS.Timeout;
  private memoryCheckQueued = false;
  private readonly memoryTotalBytes: number;
  private readonly maxLoaded: number;
  private readonly maxPerPublisher: number;
  private readonly instancesPerPlugin: number;
  /**
   * The module of each version loaded here, for its secret tokens. Kept after an unload (a
   * version's module never changes), so calls still draining can read their secrets.
   */
  private readonly modules = new Map<PluginVersionKey, string>();
  /** The publisher each version loaded here is charged to (slotOwner), kept like `modules`. */
  private readonly publishers = new Map<PluginVersionKey, string>();
  private readonly denials: DenialRecorder;

  constructor(
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
    @Inject(EXECUTOR_SETTINGS) settings: ExecutorSettings,
    private readonly outbox: TransactionalOutbox,
    private readonly metrics: CallMetrics,
    private readonly gate: PolicyGate,
    private readonly events: PluginEvents,
    private readonly secrets: SecretAccess,
    private readonly telemetry: TelemetryMetrics,
  ) {
    this.denials = new DenialRecorder(outbox);
    this.maxLoaded = settings.maxLoadedPlugins;
    this.memoryTotalBytes = settings.sandboxMemoryTotalBytes;
    this.maxPerPublisher = settings.maxLoadedPerPublisher;
    this.instancesPerPlugin = settings.instancesPerPlugin;
    this.checkSandboxMemory(settings);
    this.log.log(
      settings.dnsServers
        ? `plugin names resolved by ${settings.dnsServers.join(', ')} only`
        : `plugin names resolved by /etc/hosts and the system's DNS servers (${getServers().join(', ')})`,
    );
    this.runtime = new ProcessSandboxRuntime({
      hostFunctionsModule: HOST_FUNCTIONS,
      hostFunctions: HOST_FUNCTION_NAMES,
      inputCheck: { module: TOOL_INPUT_CHECK.href, options: settings.inputSchemaBounds },
      services: {
        module: SANDBOX_SERVICES.href,
        options: { dnsServers: settings.dnsServers } satisfies SandboxServicesOptions,
      },
      policy: settings.policy,
      defaults: settings.limits,
      instancesPerPlugin: settings.instancesPerPlugin,
      memoryCeilingBytes: settings.sandboxMemoryBytes,
      workerStartTimeoutMs: settings.workerStartTimeoutMs,
      onDenied: (plugin, denial) => this.denied(plugin, denial),
      onLog: (plugin, line) =>
        this.log.log(`[${plugin.id}@${plugin.version}] ${this.scrubbed(plugin, line)}`),
      onTelemetry: (plugin, event) =>
        this.telemetry.record(
          this.publisherOf(plugin),
          plugin.id,
          event,
          this.secrets.scrubber(plugin.id),
        ),
      onTelemetryDropped: (plugin, count) =>
        this.telemetry.recordDropped(this.publisherOf(plugin), plugin.id, count),
      onExecutorRequest: (plugin, op, payload) => this.serve(plugin, op, payload),
      onCrash: (plugin, error, { idle }) => {
        this.log.warn(
          `the sandbox process of ${plugin.id}@${plugin.version} ended (${error.code}): ${error.message}`,
        );
        // A death that stopped calls is recorded with each of them; one that stopped none, here.
        if (idle)
          void this.events.crashed(plugin.id, plugin.version, {
            function: IDLE_CRASH_FUNCTION,
            reason: error.code,
            message: error.message,
            resources: { wall_ms: 0 },
          });
      },
    });
    this.memoryWatch = setInterval(() => this.checkMemoryTotal(), MEMORY_CHECK_MS).unref();
  }

  /**
   * The running instance of a version, loading it on first use (on approval, or on the first
   * call this replica gets) and announcing each load as plugin.loaded. At
   * EXECUTOR_MAX_LOADED_PLUGINS, a version makes room as {@link slotToFree} picks it, each
   * publisher keeping its share (EXECUTOR_MAX_LOADED_PER_PUBLISHER, ADR 0021); its process starts
   * only within EXECUTOR_SANDBOX_MEMORY_TOTAL_MB, each publisher keeping its share of that
   * memory (see {@link makeMemoryRoom}). A version that
   * does not fit the operator grant policy is refused with `policy_violation`.
   */
  async load(v: RunnableRecord, context?: MessageContext): Promise<ProcessSandboxPlugin> {
    const key = pluginVersionKey(v.pluginId, v.version);
    const existing = this.loaded.get(key);
    if (existing) {
      this.loaded.delete(key);
      this.loaded.set(key, existing);
      return existing.plugin;
    }
    const publisher = slotOwner(v);
    if (this.loaded.size >= this.maxLoaded) this.makeRoom(publisher);
    this.modules.set(key, v.moduleSha256);
    this.publishers.set(key, publisher);
    const loading = this.gate.admit(v.pluginId, v.version, v.manifest).then(async (admitted) => {
      const bytes = await this.artifacts.get(v.moduleSha256);
      const plugin = await this.withinMemory(key, publisher, () =>
        this.runtime.load(bytes, v.moduleSha256, {
          identity: { id: v.pluginId, version: v.version, trust: v.trust ?? 'untrusted' },
          grants: admitted.grants,
          policy: admitted.policy,
          limits: requestedLimits(v.manifest),
          inputSchemas: toolInputSchemas(v.manifest),
        }),
      );
      const { instances, totalBytes } = plugin.memoryBudget;
      if (instances < this.instancesPerPlugin)
        this.log.warn(
          `${key} runs ${instances} instance(s), not ${this.instancesPerPlugin}: that is what EXECUTOR_SANDBOX_MEMORY_MB holds at its limits (worst case ${mib(totalBytes)} MiB)`,
        );
      return plugin;
    });
    const slot: LoadedSlot = { plugin: loading, publisher };
    this.loaded.set(key, slot);
    loading.then(
      (plugin) => (slot.ready = plugin),
      () => {
        if (this.loaded.get(key) === slot) this.loaded.delete(key);
      },
    );
    const plugin = await loading;
    await this.events.loaded(
      v.pluginId,
      v.version,
      { moduleSha256: v.moduleSha256, loadMs: plugin.loadMs, cached: plugin.cached },
      context,
    );
    return plugin;
  }

  // Versions with the operator's limits would all be refused (memory_ceiling_exceeded), or all the
  // versions loaded at once could outgrow the machine: say so now.
  private checkSandboxMemory(settings: ExecutorSettings): void {
    if (settings.sandboxMemoryTotalBytes > totalmem())
      this.log.warn(
        `EXECUTOR_SANDBOX_MEMORY_TOTAL_MB is ${mib(settings.sandboxMemoryTotalBytes)} MiB, more than this machine's ${Math.floor(totalmem() / 1048576)} MiB`,
      );
    const worstCase = settings.maxLoadedPlugins * settings.sandboxMemoryBytes;
    if (worstCase > totalmem())
      this.log.warn(
        `EXECUTOR_MAX_LOADED_PLUGINS × EXECUTOR_SANDBOX_MEMORY_MB is ${mib(worstCase)} MiB, more than this machine's ${Math.floor(totalmem() / 1048576)} MiB: loaded versions near their ceilings can exhaust it`,
      );
    try {
      fitSandboxMemory(settings.sandboxMemoryBytes, settings.limits, settings.policy, 1);
    } catch (error) {
      if (!(error instanceof SandboxError)) throw error;
      this.log.warn(`a plugin version with the default limits will not load: ${error.message}`);
    }
  }

  /**
   * Drops a version's instance after its running calls; its queued calls run first unless
   * `refuseQueued` (they then fail with `plugin_closed`). True if one was loaded.
   */
  async unload(pluginId: string, version: string, options?: CloseOptions): Promise<boolean> {
    const key = pluginVersionKey(pluginId, version);
    const slot = this.loaded.get(key);
    if (!slot) return false;
    this.loaded.delete(key);
    this.secrets.forget(pluginId, version);
    const plugin = await slot.plugin.catch(() => undefined);
    if (!plugin) return true;
    // Its process holds memory until its calls end: still its publisher's.
    const draining = { key, publisher: slot.publisher, plugin, exited: Promise.resolve() };
    this.draining.add(draining);
    draining.exited = plugin.close(options).finally(() => this.draining.delete(draining));
    await draining.exited;
    return true;
  }

  // Its calls in flight finish first; those waiting, and any arriving meanwhile, load it again
  // (callLoaded): a version given up holds its process for one call's wall time, not its queue's.
  private makeRoom(loader: string): void {
    const holders = [...this.loaded].map(([key, slot]) => [key, slot.publisher] as const);
    const victim = slotToFree(holders, loader, this.maxPerPublisher);
    if (victim === undefined) return;
    const [plugin_id, version] = parsePluginVersionKey(victim);
    void this.unload(plugin_id, version, { refuseQueued: true })
      .then(() => this.events.unloaded(plugin_id, version, 'capacity'))
      .catch((error: unknown) =>
        this.log.error(`unloading ${victim} to make room failed: ${String(error)}`),
      );
  }

  /**
   * Runs `start` (a load, which starts its sandbox process at once) when one more process fits
   * EXECUTOR_SANDBOX_MEMORY_TOTAL_MB, one load at a time, so that each sees the processes of the
   * loads before it.
   */
  private withinMemory<T>(
    key: PluginVersionKey,
    publisher: string,
    start: () => Promise<T>,
  ): Promise<T> {
    // The turn settles once `start` has begun, not when its load ends (hence the wrapper).
    const turn = this.memoryTurns.then(async () => {
      await this.makeMemoryRoom(key, publisher);
      return { started: start() };
    });
    this.memoryTurns = turn.catch(() => undefined);
    return turn.then(({ started }) => started);
  }

  /**
   * Makes room for one more sandbox process (SANDBOX_START_BYTES) within
   * EXECUTOR_SANDBOX_MEMORY_TOTAL_MB, measured as the resident sets of the running ones: unloads
   * versions as {@link memoryToFree} picks them by each publisher's share of that memory (the
   * loader's own idle ones when it would pass its share; else those of the publisher most over
   * its share, busy ones last), and waits for each process to exit. When none may go, waits for
   * versions of other publishers already unloaded (finishing their calls) to exit; throws
   * {@link capacityRefusal} when there are none either.
   */
  private async makeMemoryRoom(loading: PluginVersionKey, loader: string): Promise<void> {
    while (this.runtime.residentBytes() + SANDBOX_START_BYTES > this.memoryTotalBytes) {
      const victim = memoryToFree(this.memoryHoldings(loading), this.memoryTotalBytes, {
        publisher: loader,
        need: SANDBOX_START_BYTES,
      });
      // Versions of other publishers already unloaded free their memory once their calls end.
      const others = [...this.draining].filter((d) => d.publisher !== loader);
      if (victim === undefined && others.length > 0) {
        await Promise.race(others.map((d) => d.exited)).catch(() => undefined);
        continue;
      }
      if (victim === undefined)
        throw capacityRefusal(
          `${loading} is not loaded: the sandbox processes use ${mib(this.runtime.residentBytes())} MiB, and one more would pass EXECUTOR_SANDBOX_MEMORY_TOTAL_MB (${mib(this.memoryTotalBytes)} MiB) with no version this load may unload (its publisher's idle ones past its share, or those of a publisher over its share)`,
        );
      await this.unloadForMemory(victim, `${loading} is loading`);
    }
  }

  /**
   * Once the processes grew past EXECUTOR_SANDBOX_MEMORY_TOTAL_MB after their loads, unloads
   * versions of the publishers most over their share until they fit, in turn with the loads.
   */
  private checkMemoryTotal(): void {
    if (this.memoryCheckQueued || this.runtime.residentBytes() <= this.memoryTotalBytes) return;
    this.memoryCheckQueued = true;
    const turn = this.memoryTurns.then(async () => {
      while (this.runtime.residentBytes() > this.memoryTotalBytes) {
        const victim = memoryToFree(this.memoryHoldings(), this.memoryTotalBytes);
        // All of it loading or finishing calls: the next check sees it settled.
        if (victim === undefined) return;
        await this.unloadForMemory(
          victim,
          `the sandbox processes grew to ${mib(this.runtime.residentBytes())} MiB`,
        );
      }
    });
    this.memoryTurns = turn.catch(() => undefined);
    turn
      .catch((error: unknown) =>
        this.log.error(`keeping within EXECUTOR_SANDBOX_MEMORY_TOTAL_MB failed: ${String(error)}`),
      )
      .finally(() => (this.memoryCheckQueued = false));
  }

  /** Every version holding sandbox memory, least recently used first, but `loading`. */
  private memoryHoldings(loading?: PluginVersionKey): MemoryHolding<PluginVersionKey>[] {
    const holdings: MemoryHolding<PluginVersionKey>[] = [];
    for (const [key, { publisher, ready }] of this.loaded) {
      if (key === loading) continue;
      // A load under way counts what a process holds once started.
      if (!ready) holdings.push({ key, publisher, bytes: SANDBOX_START_BYTES, state: 'held' });
      else
        holdings.push({
          key,
          publisher,
          bytes: ready.residentBytes,
          state: ready.callsInFlight === 0 ? 'idle' : 'busy',
        });
    }
    for (const { key, publisher, plugin } of this.draining)
      holdings.push({ key, publisher, bytes: plugin.residentBytes, state: 'held' });
    return holdings;
  }

  /**
   * Unloads a version for memory, recorded as plugin.unloaded (capacity), once its process has
   * exited: its running calls finish, those waiting fail with `plugin_closed` (and load it again).
   */
  private async unloadForMemory(victim: PluginVersionKey, why: string): Promise<void> {
    const [plugin_id, version] = parsePluginVersionKey(victim);
    this.log.log(`unloading ${victim} for memory: ${why}`);
    if (await this.unload(plugin_id, version, { refuseQueued: true }))
      await this.events.unloaded(plugin_id, version, 'capacity');
  }

  /** Versions not called for at least `idleMs`, as [pluginId, version]. */
  async idleVersions(idleMs: number): Promise<[string, string][]> {
    const idle: [string, string][] = [];
    const now = Date.now();
    for (const [key, slot] of this.loaded) {
      const plugin = await slot.plugin.catch(() => undefined);
      if (plugin && now - plugin.idleSinceMs >= idleMs) idle.push(parsePluginVersionKey(key));
    }
    return idle;
  }

  /** The versions loaded in this process, as [pluginId, version]. */
  loadedVersions(): [string, string][] {
    return [...this.loaded.keys()].map(parsePluginVersionKey);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.memoryWatch);
    await Promise.allSettled(
      [...this.loaded.values()].map(async (slot) => (await slot.plugin).close()),
    );
    await this.denials.settled();
  }

  /** The publisher a version's metrics are charged to: its slot's (slotOwner). */
  private publisherOf(plugin: PluginIdentity): string {
    return (
      this.publishers.get(pluginVersionKey(plugin.id, plugin.version)) ?? `plugin:${plugin.id}`
    );
  }

  /** What a version emitted, as JSON text without any secret released to its plugin. */
  private scrubbed(plugin: PluginIdentity, emitted: unknown): string {
    return this.secrets.scrub(plugin.id, JSON.stringify(emitted));
  }

  /** What a sandbox process asks of the executor: only `secret_get {id}` (validated there). */
  private async serve(plugin: PluginIdentity, op: string, payload: unknown): Promise<unknown> {
    const module = this.modules.get(pluginVersionKey(plugin.id, plugin.version));
    const id = (payload as { id?: unknown } | null)?.id;
    if (op !== SECRET_GET_OP || module === undefined || typeof id !== 'string')
      throw new Error(`the executor serves no "${op}" for this plugin`);
    return this.secrets.read(plugin, module, id, (reason) =>
      this.denied(plugin, { capability: 'secrets.read', target: id, reason }),
    );
  }

  private denied(
    plugin: PluginIdentity,
    denial: { capability: string; target: string; reason: string },
  ): void {
    this.metrics.denied(this.publisherOf(plugin), plugin.id, denial.capability);
    // A plugin can name a value released to it in what it asks for (a path, a host).
    const event = deniedEvent(plugin, {
      capability: denial.capability,
      target: this.secrets.scrub(plugin.id, denial.target),
      reason: this.secrets.scrub(plugin.id, denial.reason),
    });
    // Through the outbox: once its row is written, the event reaches the bus even if this process
    // dies first. The call does not wait for the write.
    this.denials.record(event);
  }
}

/** The limits plugin.json asks for, in the sandbox's terms (the sandbox caps them at the operator's). */
function requestedLimits(manifest: Manifest): Partial<CallLimits> {
  const l = manifest.limits ?? {};
  return {
    ...(l.wall_time_ms !== undefined && { wallTimeMs: l.wall_time_ms }),
    ...(l.fuel !== undefined && { fuel: l.fuel }),
    ...(l.memory_pages !== undefined && { maxMemoryPages: l.memory_pages }),
    ...(l.max_host_calls !== undefined && { maxHostCalls: l.max_host_calls }),
  };
}

const mib = (bytes: number) => Math.ceil(bytes / 1048576);
