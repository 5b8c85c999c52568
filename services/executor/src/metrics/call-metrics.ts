import { Injectable } from '@nestjs/common';
import { metrics, type Attributes } from '@opentelemetry/api';

/** What one plugin call used, as the sandbox reports it. */
export interface CallUsage {
  wallMs: number;
  fuelUsed?: number;
  memoryPages?: number;
  hostCalls?: number;
}

/** One finished call, as {@link CallMetrics.call} was told of it. */
interface FinishedCall {
  plugin: string;
  fn: string;
  durationMs: number;
  usage: CallUsage | undefined;
  code: string | undefined;
}

/**
 * The executor's OpenTelemetry instruments (docs/architecture.md: call latency, errors, resource usage).
 * A finished call is recorded once the current turn of the event loop ends (setImmediate), with
 * the others of that turn: its reply is on its way first, and the five values of a call are not
 * on the path of any answer. Same instruments, values and attributes as recording at once.
 */
@Injectable()
export class CallMetrics {
  private pending: FinishedCall[] = [];
  private readonly meter = metrics.getMeter('convergio-executor');
  private readonly duration = this.meter.createHistogram('convergio_plugin_call_duration', {
    unit: 'ms',
    description: 'plugin call latency, from request to reply',
  });
  private readonly errors = this.meter.createCounter('convergio_plugin_call_errors', {
    description: 'failed plugin calls by error code',
  });
  private readonly denials = this.meter.createCounter('convergio_permission_denied', {
    description: 'host calls refused, by capability',
  });
  private readonly wall = this.meter.createHistogram('convergio_plugin_call_wall_time', {
    unit: 'ms',
    description: 'time inside the sandbox per call',
  });
  private readonly fuel = this.meter.createHistogram('convergio_plugin_call_fuel', {
    description:
      'CPU budget used per call (loop iterations, entries of functions that may loop or recurse (one unit each per 1000 instructions or part of it), and bulk memory and table work (1 per 16 bytes, 64 per table element, table.grow 1024 per element added plus 1 per element held, memory.grow 8192 per page of the memory after it))',
  });
  private readonly pages = this.meter.createHistogram('convergio_plugin_memory_pages', {
    description: 'linear memory after a call, 64 KiB pages',
  });
  private readonly hostCalls = this.meter.createHistogram('convergio_plugin_host_calls', {
    description: 'host calls made per plugin call',
  });

  /** Records a finished call (at the end of this turn of the event loop); `code` is the error code of a failed one. */
  call(
    plugin: string,
    fn: string,
    durationMs: number,
    usage: CallUsage | undefined,
    code?: string,
  ): void {
    if (this.pending.length === 0) setImmediate(() => this.recordPending());
    this.pending.push({ plugin, fn, durationMs, usage, code });
  }

  private recordPending(): void {
    const calls = this.pending;
    this.pending = [];
    for (const { plugin, fn, durationMs, usage, code } of calls)
      this.record(plugin, fn, durationMs, usage, code);
  }

  private record(
    plugin: string,
    fn: string,
    durationMs: number,
    usage: CallUsage | undefined,
    code: string | undefined,
  ): void {
    const attrs: Attributes = { plugin, function: fn, outcome: code ? 'error' : 'ok' };
    this.duration.record(durationMs, attrs);
    if (code) this.errors.add(1, { plugin, code });
    if (!usage) return;
    this.wall.record(usage.wallMs, { plugin });
    if (usage.fuelUsed !== undefined) this.fuel.record(usage.fuelUsed, { plugin });
    if (usage.memoryPages !== undefined) this.pages.record(usage.memoryPages, { plugin });
    if (usage.hostCalls !== undefined) this.hostCalls.record(usage.hostCalls, { plugin });
  }

  denied(plugin: string, capability: string): void {
    this.denials.add(1, { plugin, capability });
  }
}
