import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import {
  EventSubjects,
  LOAD_CRASH_FUNCTION,
  pluginVersionKey,
  type EventEnvelope,
  type Finding,
  type Manifest,
} from '@convergio/contracts';
import { BusClient, detachedContext, type MessageContext } from '@convergio/messaging';
import { SandboxError } from '@convergio/sandbox';
import type { ExecutorSettings } from '../config/executor.config.js';
import { EXECUTOR_SETTINGS } from '../invocations/executor-limits.js';
import { isCapacityRefusal, notPluginsFault } from '../invocations/load-failures.js';
import { PluginHost } from '../invocations/plugin-host.js';
import { INSTANCE } from '../lifecycle/instance.js';
import { PluginEvents, type Crash, type UnloadReason } from '../lifecycle/plugin-events.js';
import { PolicyGate } from './policy-gate.js';
import { SecretAccess } from '../secrets/secret-access.js';
import { RunnableVersions } from './runnable-versions.js';
import type { RunnableRecord } from './version-record.js';
import { VersionTable } from './version-table.js';

/**
 * Loads approved versions and drops revoked ones, announcing both; announces which approved
 * versions the operator grant policy no longer lets run.
 */
@Injectable()
export class LifecycleService
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly log = new Logger(LifecycleService.name);

  private evictor?: NodeJS.Timeout;
  private stopping = false;

  constructor(
    private readonly table: VersionTable,
    private readonly host: PluginHost,
    private readonly bus: BusClient,
    @Inject(EXECUTOR_SETTINGS) private readonly settings: ExecutorSettings,
    private readonly gate: PolicyGate,
    private readonly events: PluginEvents,
    private readonly versions: RunnableVersions,
    private readonly secrets: SecretAccess,
  ) {}

  onModuleInit(): void {
    // Every replica hears of a revocation at once and lets go of the version's instances.
    this.versions.onRevoked(
      (plugin_id, version) =>
        void this.unload(plugin_id, version, 'revoked').catch((error: unknown) =>
          this.log.warn(`unload of revoked ${plugin_id}@${version} failed: ${String(error)}`),
        ),
    );
    const every = Math.min(30_000, Math.max(1000, this.settings.nonServingIdleUnloadMs / 4));
    this.evictor = setInterval(
      () =>
        void this.evictIdle()
          .then(() => this.dropRevoked())
          .catch((error: unknown) => this.log.warn(`eviction failed: ${String(error)}`)),
      every,
    ).unref();
  }

  /** The policy file may have changed since the last start: every approved version is checked again. */
  async onApplicationBootstrap(): Promise<void> {
    for (const d of this.versions.approved())
      await this.announcePolicyVerdict(d.pluginId, d.version, d.manifest);
  }

  /**
   * Checks a version against the operator policy and announces a changed verdict as
   * plugin.policy_checked (the registry shows it on the version; audit records it), built in
   * `context` when an event's handler asks.
   */
  private async announcePolicyVerdict(
    pluginId: string,
    version: string,
    manifest: Manifest,
    context?: MessageContext,
  ): Promise<Finding[]> {
    const violations = this.gate.violations(pluginId, version, manifest);
    if (await this.table.recordPolicyVerdict(pluginId, version, violations)) {
      if (violations.length)
        this.log.warn(
          `${pluginId}@${version} breaks the operator policy (${violations.map((v) => v.rule).join(', ')}): not loaded`,
        );
      await this.bus.publish(
        EventSubjects.PluginPolicyChecked,
        {
          plugin_id: pluginId,
          version,
          instance: INSTANCE,
          violations,
        },
        context,
      );
    }
    return violations;
  }

  /**
   * Unloads versions nobody called for EXECUTOR_IDLE_UNLOAD_MS, and approved versions that calls
   * naming no version do not run (superseded, pre-releases) once nobody called them for
   * EXECUTOR_NON_SERVING_IDLE_UNLOAD_MS; the next call naming one loads it again.
   */
  async evictIdle(): Promise<void> {
    const { idleUnloadMs, nonServingIdleUnloadMs } = this.settings;
    for (const [plugin_id, version] of await this.host.idleVersions(idleUnloadMs))
      await this.unload(plugin_id, version, 'idle');
    for (const [plugin_id, version] of await this.host.idleVersions(nonServingIdleUnloadMs))
      if (this.versions.runsOnlyWhenNamed(plugin_id, version))
        await this.unload(plugin_id, version, 'superseded');
  }

  /** Unloads versions loaded here that are no longer approved (a load that raced a revocation). */
  async dropRevoked(): Promise<void> {
    const loaded = this.host.loadedVersions();
    if (loaded.length === 0) return;
    const approved = new Set(
      this.versions.approved().map((d) => pluginVersionKey(d.pluginId, d.version)),
    );
    for (const [plugin_id, version] of loaded)
      if (!approved.has(pluginVersionKey(plugin_id, version)))
        await this.unload(plugin_id, version, 'revoked');
  }

  async onSubmitted(e: EventEnvelope<'plugin.submitted'>): Promise<void> {
    await this.table.apply(e);
  }

  async onRejected(e: EventEnvelope<'plugin.rejected'>): Promise<void> {
    await this.table.apply(e);
  }

  async onApproved(e: EventEnvelope<'plugin.approved'>, context: MessageContext): Promise<void> {
    const d = e.data;
    const record = await this.table.apply(e);
    if (!record) return;
    if ((await this.announcePolicyVerdict(d.plugin_id, d.version, d.manifest, context)).length)
      return;
    // A load starts a sandbox process (hundreds of ms): the events behind this one do not wait for
    // it. Calls that arrive first load the version themselves (PluginHost shares one load).
    void this.loadApproved({ ...record, manifest: d.manifest }, detachedContext(context));
  }

  /**
   * Loads an approved version. A load that failed through no fault of the plugin (see
   * {@link notPluginsFault}) is tried again after 1, 2, 4, 8 and 16 s while the version stays
   * approved; a failure is recorded as plugin.crashed once no try is left. A load refused for
   * memory (see {@link isCapacityRefusal}) is left to the first call.
   */
  private async loadApproved(v: RunnableRecord, context: MessageContext, retry = 0): Promise<void> {
    try {
      await this.host.load(v, context);
    } catch (error) {
      if (isCapacityRefusal(error)) {
        this.log.warn(`${v.pluginId}@${v.version} not loaded at approval: ${String(error)}`);
        return;
      }
      // Approved but unloadable (e.g. an import outside the allowlist): calls will report it. A
      // start function's words (a trap, error_set) may hold a value released to the plugin.
      const failure = loadFailure(error);
      failure.message = this.secrets.scrub(v.pluginId, failure.message);
      this.log.error(`${v.pluginId}@${v.version} did not load: ${failure.message}`);
      if (notPluginsFault(error) && retry < LOAD_RETRIES) {
        const delay = FIRST_LOAD_RETRY_MS * 2 ** retry;
        setTimeout(() => {
          if (!this.stopping && this.isApproved(v))
            void this.loadApproved(v, context, retry + 1).catch((e: unknown) =>
              this.log.warn(`loading ${v.pluginId}@${v.version} again failed: ${String(e)}`),
            );
        }, delay).unref();
        return;
      }
      await this.events.crashed(
        v.pluginId,
        v.version,
        { function: LOAD_CRASH_FUNCTION, ...failure, resources: { wall_ms: 0 } },
        context,
      );
    }
  }

  private isApproved(v: RunnableRecord): boolean {
    return this.versions
      .approved()
      .some((d) => d.pluginId === v.pluginId && d.version === v.version);
  }

  async onRevoked(e: EventEnvelope<'plugin.revoked'>, context: MessageContext): Promise<void> {
    await this.table.apply(e);
    if (await this.host.unload(e.data.plugin_id, e.data.version)) {
      // Inside the event's handler: a failed publish must fail the handler, so it is redelivered.
      await this.events.unloaded(e.data.plugin_id, e.data.version, 'revoked', { context });
    }
  }

  /** Runs before the bus closes, so the registry learns these versions are no longer loaded here. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.evictor);
    this.stopping = true;
    for (const [plugin_id, version] of this.host.loadedVersions())
      await this.unload(plugin_id, version, 'shutdown');
  }

  private async unload(plugin_id: string, version: string, reason: UnloadReason): Promise<void> {
    if (await this.host.unload(plugin_id, version))
      await this.events.unloaded(plugin_id, version, reason);
  }
}

const FIRST_LOAD_RETRY_MS = 1000;
const LOAD_RETRIES = 5;

/**
 * Why a load failed, as plugin.crashed says it: the sandbox's code, or `load_failed` with the
 * failure's own code (an unreadable artifact, a policy refusal) in the message.
 */
function loadFailure(error: unknown): Pick<Crash, 'reason' | 'message'> {
  if (error instanceof SandboxError) return { reason: error.code, message: String(error) };
  const code = (error as { code?: unknown } | null)?.code;
  return {
    reason: 'load_failed',
    message: typeof code === 'string' ? `${code}: ${String(error)}` : String(error),
  };
}
