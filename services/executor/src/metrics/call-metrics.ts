import { Injectable } from '@nestjs/common';
import { pluginMetricStore } from './plugin-metric-store.js';
import { SeriesAttributes } from './series-attributes.js';

/** What one plugin call used, as the sandbox reports it. */
export interface CallUsage {
  wallMs: number;
  fuelUsed?: number;
  memoryPages?: number;
  hostCalls?: number;
}

/** One finished call, as {@link CallMetrics.call} was told of it. */
interface FinishedCall {
  owner: string;
  plugin: string;
  fn: string;
  durationMs: number;
  usage: CallUsage | undefined;
  code: string | undefined;
}

/** The OpenTelemetry SDK's default histogram bucket bounds, which these histograms always had. */
const DEFAULT_BOUNDARIES = [
  0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000,
];

/**
 * The executor's per-plugin call metrics (docs/architecture.md: call latency, errors, resource
 * usage), kept in the process's PluginMetricStore so that all plugins' series share its render
 * budget, charged to each plugin's publisher (ADR 0024).
 * A finished call is recorded once the current turn of the event loop ends (setImmediate), with
 * the others of that turn: its reply is on its way first, and the values of a call are not
 * on the path of any answer.
 */
@Injectable()
export class CallMetrics {
  private pending: FinishedCall[] = [];
  private readonly store = pluginMetricStore();
  private readonly duration = this.store.histogram(
    'convergio_plugin_call_duration',
    'plugin call latency, from request to reply',
    DEFAULT_BOUNDARIES,
    'ms',
  );
  private readonly errors = this.store.counter(
    'convergio_plugin_call_errors',
    'failed plugin calls by error code',
  );
  private readonly denials = this.store.counter(
    'convergio_permission_denied',
    'host calls refused, by capability',
  );
  private readonly wall = this.store.histogram(
    'convergio_plugin_call_wall_time',
    'time inside the sandbox per call',
    DEFAULT_BOUNDARIES,
    'ms',
  );
  private readonly fuel = this.store.histogram(
    'convergio_plugin_call_fuel',
    'CPU budget used per call (loop iterations, entries of functions that may loop or recurse (one unit each per 1000 instructions or part of it), and bulk memory and table work (1 per 16 bytes, 64 per table element, table.grow 1024 per element added plus 1 per element held, memory.grow 8192 per page of the memory after it))',
    DEFAULT_BOUNDARIES,
  );
  private readonly pages = this.store.histogram(
    'convergio_plugin_memory_pages',
    'linear memory after a call, 64 KiB pages',
    DEFAULT_BOUNDARIES,
  );
  private readonly hostCalls = this.store.histogram(
    'convergio_plugin_host_calls',
    'host calls made per plugin call',
    DEFAULT_BOUNDARIES,
  );

  /**
   * Records a finished call of `plugin`, charged to `owner` (its publisher, see slotOwner), at the
   * end of this turn of the event loop; `code` is the error code of a failed one.
   */
  call(
    owner: string,
    plugin: string,
    fn: string,
    durationMs: number,
    usage: CallUsage | undefined,
    code?: string,
  ): void {
    if (this.pending.length === 0) setImmediate(() => this.recordPending());
    this.pending.push({ owner, plugin, fn, durationMs, usage, code });
  }

  /** Counts a host call of `plugin` refused for `capability`, charged to `owner`. */
  denied(owner: string, plugin: string, capability: string): void {
    this.denials.add(owner, { plugin, capability });
  }

  private recordPending(): void {
    const calls = this.pending;
    this.pending = [];
    for (const call of calls) this.record(call);
  }

  private record({ owner, plugin, fn, durationMs, usage, code }: FinishedCall): void {
    this.duration.record(
      owner,
      { plugin, function: fn, outcome: code ? 'error' : 'ok' },
      durationMs,
    );
    if (code) this.errors.add(owner, { plugin, code });
    if (!usage) return;
    // Serialized once for the four series it labels.
    const attributes = new SeriesAttributes({ plugin });
    this.wall.record(owner, attributes, usage.wallMs);
    if (usage.fuelUsed !== undefined) this.fuel.record(owner, attributes, usage.fuelUsed);
    if (usage.memoryPages !== undefined) this.pages.record(owner, attributes, usage.memoryPages);
    if (usage.hostCalls !== undefined) this.hostCalls.record(owner, attributes, usage.hostCalls);
  }
}
