import { Inject, Injectable } from '@nestjs/common';
import { metrics, type Attributes } from '@opentelemetry/api';
import {
  checkTelemetryEvent,
  fullLogBucket,
  LINE_DROPPED,
  takeLogToken,
  type LogBucket,
  type ReleasedValues,
  type TelemetryEvent,
} from '@convergio/policy';
import { EXECUTOR_SETTINGS } from '../invocations/executor-limits.js';
import type { ExecutorSettings } from '../config/executor.config.js';

/** Distinct event names one plugin may have as metrics; later ones are folded into `other`. */
export const MAX_TELEMETRY_NAMES_PER_PLUGIN = 32;
/** Distinct attribute sets (series) one plugin may have; later ones lose their attributes. */
export const MAX_TELEMETRY_SERIES_PER_PLUGIN = 256;
/** Bytes of one series' attributes (as JSON); a larger set keeps only plugin and name. */
export const MAX_TELEMETRY_SERIES_BYTES = 512;
/**
 * Bytes all telemetry series together may add to one /metrics render, each series charged its
 * attributes plus {@link RENDERED_LINE_BYTES} on every line it renders. Plugin ids are free to
 * create, so per-plugin caps alone let a publisher grow /metrics without bound (one render of
 * 400 MB ended the process); past this budget events count under {@link OVERFLOW_ATTRIBUTES}.
 */
export const MAX_TELEMETRY_RENDER_BYTES = 4 * 1024 * 1024;
/** What a rendered line costs besides its attributes: metric name, scope label, value. */
const RENDERED_LINE_BYTES = 100;
/** The name events past {@link MAX_TELEMETRY_NAMES_PER_PLUGIN} are counted under. */
export const FOLDED_TELEMETRY_NAME = 'other';
/**
 * The one series events count under once {@link MAX_TELEMETRY_RENDER_BYTES} is spent: the
 * overflow attribute set of the OpenTelemetry metrics SDK specification ("Cardinality limits").
 */
export const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });
/** Upper bounds of the value histogram's buckets: a decade each, the unit being the plugin's. */
const TELEMETRY_VALUE_BUCKETS = [0, 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];
/** Lines one histogram series renders: a bucket per bound, `+Inf`, sum and count. */
const HISTOGRAM_LINES = TELEMETRY_VALUE_BUCKETS.length + 3;

/** The metric attributes of one event, after the caps. */
export interface TelemetrySeries {
  /** Of the event counter: plugin, name and the event's attributes (prefixed `attr_`). */
  event: Attributes;
  /** Of the value histogram: plugin and name only, as a histogram renders a line per bucket. */
  value: Attributes;
  /** Of the folded counter, when the event lost its name or attributes to a cap. */
  folded?: Attributes;
}

/** Plugins whose rate-limit buckets are kept before idle ones (full again) are let go. */
const MAX_RATE_BUCKETS = 10_000;

interface PluginSeries {
  names: Set<string>;
  series: number;
}

/**
 * Bounds the series plugins can create: per plugin at most MAX_TELEMETRY_NAMES_PER_PLUGIN names
 * (the rest count as `other`) and MAX_TELEMETRY_SERIES_PER_PLUGIN attribute sets each at most
 * MAX_TELEMETRY_SERIES_BYTES (past these an event keeps only plugin and name); across all plugins
 * MAX_TELEMETRY_RENDER_BYTES of rendered text (past it, OVERFLOW_ATTRIBUTES). Only admitted series
 * are remembered, so the limiter's own memory is bounded by the same budget. Plugin attributes
 * are prefixed `attr_` so they cannot pose as `plugin`.
 */
export class TelemetrySeriesLimiter {
  private readonly admitted = new Set<string>();
  private readonly plugins = new Map<string, PluginSeries>();
  private renderBytes = 0;

  seriesOf(plugin: string, event: TelemetryEvent): TelemetrySeries {
    const own = this.plugins.get(plugin) ?? { names: new Set<string>(), series: 0 };
    const named = own.names.has(event.name) || own.names.size < MAX_TELEMETRY_NAMES_PER_PLUGIN;
    const base: Attributes = { plugin, name: named ? event.name : FOLDED_TELEMETRY_NAME };
    const value = this.admit('value', base, HISTOGRAM_LINES);
    if (value === OVERFLOW_ATTRIBUTES) return { event: value, value, folded: this.folded(plugin) };
    this.plugins.set(plugin, own);
    if (!named) return { event: this.admit('event', base, 1), value, folded: this.folded(plugin) };
    own.names.add(event.name);
    const full: Attributes = { ...base };
    for (const key of Object.keys(event.attributes).sort())
      full[`attr_${key}`] = String(event.attributes[key]);
    if (this.admitted.has(seriesId('event', full))) return { event: full, value };
    if (
      own.series < MAX_TELEMETRY_SERIES_PER_PLUGIN &&
      Buffer.byteLength(JSON.stringify(full)) <= MAX_TELEMETRY_SERIES_BYTES &&
      this.admit('event', full, 1) === full
    ) {
      own.series++;
      return { event: full, value };
    }
    return { event: this.admit('event', base, 1), value, folded: this.folded(plugin) };
  }

  /** The attributes of a per-plugin counter (`metric` names it): `{plugin}`, within the budget. */
  pluginSeries(metric: string, plugin: string): Attributes {
    return this.admit(metric, { plugin }, 1);
  }

  private folded(plugin: string): Attributes {
    return this.pluginSeries('folded', plugin);
  }

  /** `attributes` when this series is known or fits the render budget, else the overflow set. */
  private admit(metric: string, attributes: Attributes, lines: number): Attributes {
    const id = seriesId(metric, attributes);
    if (this.admitted.has(id)) return attributes;
    const cost = lines * (Buffer.byteLength(id) + RENDERED_LINE_BYTES);
    if (this.renderBytes + cost > MAX_TELEMETRY_RENDER_BYTES) return OVERFLOW_ATTRIBUTES;
    this.admitted.add(id);
    this.renderBytes += cost;
    return attributes;
  }
}

function seriesId(metric: string, attributes: Attributes): string {
  return `${metric} ${JSON.stringify(attributes)}`;
}

/**
 * telemetry_emit events as OpenTelemetry metrics (Prometheus at /metrics): a counter of events by
 * plugin, name and the event's attributes, and a histogram of numeric values by plugin and name,
 * within the caps of TelemetrySeriesLimiter. A plugin's events past
 * EXECUTOR_TELEMETRY_EVENTS_PER_SECOND (all its instances together) are dropped before any work
 * and counted. Each event is checked and redacted again here (values released to the version
 * included): what a sandbox process sends is not trusted.
 */
@Injectable()
export class TelemetryMetrics {
  private readonly meter = metrics.getMeter('convergio-executor');
  private readonly events = this.meter.createCounter('convergio_plugin_telemetry_events', {
    description: 'telemetry_emit events by plugin, name and attributes (redacted, capped)',
  });
  private readonly values = this.meter.createHistogram('convergio_plugin_telemetry_value', {
    description: 'numeric values of telemetry_emit events, by plugin and name',
    advice: { explicitBucketBoundaries: TELEMETRY_VALUE_BUCKETS },
  });
  private readonly folded = this.meter.createCounter('convergio_plugin_telemetry_folded', {
    description: 'telemetry_emit events that lost their name or attributes to the series caps',
  });
  private readonly dropped = this.meter.createCounter('convergio_plugin_telemetry_dropped', {
    description: 'telemetry_emit events dropped by the per-plugin rate limit',
  });
  private readonly limiter = new TelemetrySeriesLimiter();
  private readonly buckets = new Map<string, LogBucket>();
  private readonly eventsPerSecond: number;

  constructor(
    @Inject(EXECUTOR_SETTINGS) settings: Pick<ExecutorSettings, 'telemetryEventsPerSecond'>,
  ) {
    this.eventsPerSecond = settings.telemetryEventsPerSecond;
  }

  /** Records one event of `plugin`; false when it is dropped (over the rate, or malformed). */
  record(plugin: string, payload: unknown, released: ReleasedValues): boolean {
    if (!this.takeToken(plugin)) {
      this.dropped.add(1, this.limiter.pluginSeries('dropped', plugin));
      return false;
    }
    const checked = checkTelemetryEvent(payload, released);
    if (!checked.ok) return false;
    const series = this.limiter.seriesOf(plugin, checked.value);
    this.events.add(1, series.event);
    if (typeof checked.value.value === 'number')
      this.values.record(checked.value.value, series.value);
    if (series.folded) this.folded.add(1, series.folded);
    return true;
  }

  /** Counts `count` events of `plugin` its sandbox dropped over the rate (they never arrived). */
  recordDropped(plugin: string, count: number): void {
    this.dropped.add(count, this.limiter.pluginSeries('dropped', plugin));
  }

  private takeToken(plugin: string): boolean {
    const now = performance.now();
    let bucket = this.buckets.get(plugin);
    if (bucket === undefined) {
      if (this.buckets.size >= MAX_RATE_BUCKETS) this.forgetIdleBuckets(now);
      this.buckets.set(plugin, (bucket = fullLogBucket(now, this.eventsPerSecond)));
    }
    return takeLogToken(bucket, now, this.eventsPerSecond) !== LINE_DROPPED;
  }

  /** A bucket untouched for a second is full again: forgetting it changes nothing. */
  private forgetIdleBuckets(now: number): void {
    for (const [plugin, bucket] of this.buckets)
      if (now - bucket.updatedAtMs >= 1000) this.buckets.delete(plugin);
  }
}
