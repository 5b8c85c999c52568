import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  DomainError,
  pluginVersionKey,
  type PluginVersionKey,
  type ReplyMap,
  type RequestMap,
} from '@convergio/contracts';
import { ArtifactError } from '@convergio/artifacts';
import { BusClient, type MessageContext } from '@convergio/messaging';
import { traceIdOf } from '@convergio/observability';
import { SandboxError, type CallResources } from '@convergio/sandbox';
import type { ExecutorSettings } from '../config/executor.config.js';
import { RunnableVersions } from '../versions/runnable-versions.js';
import { PolicyGate } from '../versions/policy-gate.js';
import type { RunnableRecord } from '../versions/version-record.js';
import { CallMetrics, type CallUsage } from '../metrics/call-metrics.js';
import { CircuitBreaker, type BreakerTicket } from './circuit-breaker.js';
import { notPluginsFault } from './load-failures.js';
import { EXECUTOR_SETTINGS } from './executor-limits.js';
import { PluginEvents } from '../lifecycle/plugin-events.js';
import { PluginHost } from './plugin-host.js';
import { slotOwner } from './loaded-slots.js';
import { declaredFunction, type DeclaredFunction } from './tool-input.js';
import { BatchOutputBudget, outputValue } from './output-value.js';
import { SecretAccess } from '../secrets/secret-access.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Runs declared functions of approved plugins, and stops plugins that keep crashing. */
@Injectable()
export class InvocationService {
  private readonly log = new Logger(InvocationService.name);
  private readonly breaker: CircuitBreaker;
  private readonly maxOutputBytes: number;

  constructor(
    private readonly versions: RunnableVersions,
    private readonly host: PluginHost,
    private readonly bus: BusClient,
    private readonly metrics: CallMetrics,
    @Inject(EXECUTOR_SETTINGS) settings: ExecutorSettings,
    private readonly gate: PolicyGate,
    private readonly events: PluginEvents,
    private readonly secrets: SecretAccess,
  ) {
    this.breaker = new CircuitBreaker(settings.breaker);
    this.maxOutputBytes = settings.limits.maxOutputBytes;
  }

  /**
   * Runs one call asked for in `context` (its trace id is answered as `trace_id`); `budget`, for a
   * call of a batch, is what its output may take of the batch's.
   */
  async invoke(
    req: RequestMap['executor.invoke'],
    context?: MessageContext,
    budget?: BatchOutputBudget,
  ): Promise<ReplyMap['executor.invoke']> {
    const d = this.versions.runnable(req.plugin_id, req.version);
    this.gate.assertFits(d.pluginId, d.version, d.manifest);
    const target = declaredFunction(d.manifest, req.function);
    const key = pluginVersionKey(d.pluginId, d.version);
    const ticket = this.admitted(key);
    const started = performance.now();
    try {
      const { output, resources } = await this.callLoaded(
        d,
        ticket,
        target,
        encoder.encode(JSON.stringify(req.input ?? null)),
      );
      budget?.take(output.length);
      const value = this.scrubbedOutput(d.pluginId, outputValue(decoder.decode(output), resources));
      this.breaker.succeeded(ticket);
      this.metrics.call(
        slotOwner(d),
        d.pluginId,
        req.function,
        performance.now() - started,
        usageOf(resources),
      );
      const traceId = context && traceIdOf(context.trace);
      return {
        plugin_id: d.pluginId,
        version: d.version,
        function: req.function,
        output: value,
        duration_ms: resources.wall_ms,
        ...(traceId && { trace_id: traceId }),
      };
    } catch (error) {
      const failure = await this.failure(
        ticket,
        d.pluginId,
        d.version,
        target.function,
        error,
        performance.now() - started,
        context,
      );
      this.metrics.call(
        slotOwner(d),
        d.pluginId,
        req.function,
        performance.now() - started,
        error instanceof SandboxError && error.resources ? usageOf(error.resources) : undefined,
        failure.code,
      );
      throw failure;
    } finally {
      // Whatever settled nothing (a refusal, an output past the batch's budget) frees a probe.
      this.breaker.abandoned(ticket);
    }
  }

  /**
   * Runs several calls of one plugin in one round trip, on as many of its instances as it may
   * use at once; each result, in order, is an output or an error. The outputs share one reply:
   * one that does not fit what is left of EXECUTOR_MAX_OUTPUT_BYTES is `reply_too_large`.
   */
  async invokeBatch(
    req: RequestMap['executor.invoke-batch'],
    context?: MessageContext,
  ): Promise<ReplyMap['executor.invoke-batch']> {
    const budget = new BatchOutputBudget(this.maxOutputBytes);
    const results = await Promise.all(
      req.calls.map(async (call) => {
        try {
          const r = await this.invoke(
            {
              plugin_id: req.plugin_id,
              version: req.version,
              function: call.function,
              input: call.input,
            },
            context,
            budget,
          );
          return { output: r.output, duration_ms: r.duration_ms };
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          return { error: error.toJSON() };
        }
      }),
    );
    return { results };
  }

  /**
   * A call's output (see outputValue) without any value released to its plugin. JSON output is
   * scrubbed as JSON.stringify writes it again, so a value spelled with `\\u` escapes (as JSON
   * encoders that escape every non-ASCII character write it) is found once decoded; output that
   * is not JSON is scrubbed as text.
   */
  private scrubbedOutput(pluginId: string, output: unknown): unknown {
    // Written again only when there is something to scrub (a plugin that read no secret has
    // nothing): what the caller gets is the same JSON either way.
    if (!this.secrets.hasReleased(pluginId)) return output;
    const scrubbed = this.secrets.scrub(pluginId, JSON.stringify(output));
    try {
      return JSON.parse(scrubbed) as unknown;
    } catch {
      return scrubbed;
    }
  }

  /** Admits a call past the version's circuit breaker, or refuses it while the version is paused. */
  private admitted(key: PluginVersionKey): BreakerTicket {
    const gate = this.breaker.admit(key);
    if (!gate.allowed) throw paused(key, gate.retryAfterMs);
    return gate.ticket;
  }

  /** Runs `target` in the version's sandbox, which first checks the input against its schema. */
  private async callLoaded(
    d: RunnableRecord,
    ticket: BreakerTicket,
    target: DeclaredFunction,
    input: Uint8Array,
  ) {
    const options = { inputSchema: target.inputSchema };
    try {
      return await (await this.host.load(d)).call(target.function, input, options);
    } catch (error) {
      if (!(error instanceof SandboxError) || error.code !== 'plugin_closed') throw error;
      // Unloaded before the call started. Paused by the breaker meanwhile: refused like any call
      // while paused. Else (idle eviction, a revocation seen by this replica) the call was admitted
      // while the version was approved, so it runs on a fresh load.
      const since = this.breaker.openedSince(ticket);
      if (since.opened) throw paused(ticket.key, since.retryAfterMs);
      return (await this.host.load(d)).call(target.function, input, options);
    }
  }

  /**
   * Maps a sandbox failure to a coded error; stops that were not the plugin's own choice are
   * crashes, recorded in `context` (the call's).
   */
  private async failure(
    ticket: BreakerTicket,
    pluginId: string,
    version: string,
    fn: string,
    raw: unknown,
    wallMs: number,
    context: MessageContext | undefined,
  ): Promise<DomainError> {
    // What a plugin says in its error (error_set, a trap's text) may hold a value released to it.
    const { key } = ticket;
    const error =
      raw instanceof SandboxError
        ? new SandboxError(
            raw.code,
            this.secrets.scrub(pluginId, raw.message),
            raw.resources,
            raw.details,
          )
        : raw;
    if (error instanceof ArtifactError)
      return new DomainError('unavailable', `the module of ${key} cannot be read: ${error.code}`);
    if (error instanceof DomainError) return error;
    if (!(error instanceof SandboxError))
      return new DomainError('internal', `call failed: ${String(error)}`);
    if (error.code === 'plugin_error') {
      // The plugin ran and answered with its error: for the breaker, a call that did not crash.
      this.breaker.succeeded(ticket);
      return new DomainError('plugin_failed', error.message);
    }
    if (error.code === 'function_not_found') return new DomainError('not_found', error.message);
    // A busy machine did not start an instance in time: nothing of the plugin ran, and the next
    // call loads it again.
    if (notPluginsFault(error)) {
      this.log.warn(`${key} did not start in time: ${error.message}`);
      return new DomainError('unavailable', `${key} did not start in time; retry`);
    }
    // Unloaded again before it started: nothing ran, so nothing crashed.
    if (error.code === 'plugin_closed')
      return new DomainError('unavailable', `${key} was unloaded; retry`);
    // Stopped while it ran by an unload's 10 s bound: not a crash, but it may have had effects.
    if (error.code === 'plugin_unloaded')
      return new DomainError(
        'unavailable',
        `${key} was unloaded while the call ran: it was stopped and not run again`,
      );
    if (error.code === 'input_invalid')
      return new DomainError('validation_failed', error.message, error.details);
    // A schema verification would refuse today (too large, too deep, not compilable), even in a
    // version approved before the bound: the plugin's fault, not a crash.
    if (error.code === 'input_schema_invalid')
      return new DomainError('plugin_failed', error.message);
    const resources = error.resources;
    // Best effort: the caller must learn what happened to its call even when the bus is down.
    await this.events.crashed(
      pluginId,
      version,
      {
        function: fn,
        reason: error.code,
        message: error.message,
        resources: {
          wall_ms: Math.round(resources?.wall_ms ?? wallMs),
          ...(resources && { fuel_used: resources.fuel_used, host_calls: resources.host_calls }),
          ...(resources?.memory_pages != null && { memory_pages: resources.memory_pages }),
        },
      },
      context,
    );
    await this.countCrash(ticket, pluginId, version);
    return error.code === 'timeout'
      ? new DomainError('plugin_timeout', `${key} ran out of time`)
      : new DomainError('plugin_failed', `${key} was stopped: ${error.code}`, [
          {
            code: error.code,
            message:
              error.code === 'output_too_large'
                ? `${error.message} by EXECUTOR_MAX_OUTPUT_BYTES (an operator setting, bounded by the bus's max_payload)`
                : error.message,
          },
        ]);
  }

  /** A plugin that keeps crashing is unloaded and paused; the pause is recorded as plugin.unloaded. */
  private async countCrash(
    ticket: BreakerTicket,
    pluginId: string,
    version: string,
  ): Promise<void> {
    const pauseMs = this.breaker.crashed(ticket);
    if (pauseMs === undefined) return;
    this.log.warn(`${ticket.key} crashed repeatedly: paused for ${pauseMs} ms`);
    // Its queued calls do not run: they are refused as paused (callLoaded), not as crashes.
    if (await this.host.unload(pluginId, version, { refuseQueued: true }))
      await this.events.unloaded(pluginId, version, 'crashed');
  }
}

function paused(key: PluginVersionKey, retryAfterMs: number): DomainError {
  return new DomainError(
    'unavailable',
    `${key} is paused after repeated crashes; retry in ${Math.ceil(retryAfterMs / 1000)} s`,
  );
}

function usageOf(r: CallResources): CallUsage {
  return {
    wallMs: r.wall_ms,
    fuelUsed: r.fuel_used,
    memoryPages: r.memory_pages ?? undefined,
    hostCalls: r.host_calls,
  };
}
