import { Inject, Injectable } from '@nestjs/common';
import { checkTelemetryEvent, type ReleasedValues, type TelemetryEvent } from '@convergio/policy';
import type { OperatorPolicy } from '@convergio/sandbox';
import { EXECUTOR_SETTINGS } from '../invocations/executor-limits.js';
import {
  OVERFLOW_ATTRIBUTES,
  type PluginCounter,
  type PluginHistogram,
} from './plugin-instruments.js';
import { pluginMetricStore, type PluginMetricStore } from './plugin-metric-store.js';
import { RateBuckets } from './rate-buckets.js';
import { SeriesAttributes, type PluginAttributes } from './series-attributes.js';

/** Distinct event names one plugin may have as metrics; later ones are folded into `other`. */
export const MAX_TELEMETRY_NAMES_PER_PLUGIN = 32;
/** Distinct attribute sets (series) one plugin may have; later ones lose their attributes. */
export const MAX_TELEMETRY_SERIES_PER_PLUGIN = 256;
/** Bytes of one series' attributes (as JSON); a larger set keeps only plugin and name. */
export const MAX_TELEMETRY_SERIES_BYTES = 512;
/** The name events past {@link MAX_TELEMETRY_NAMES_PER_PLUGIN} are counted under. */
export const FOLDED_TELEMETRY_NAME = 'other';
/** Upper bounds of the value histogram's buckets: a decade each, the unit being the plugin's. */
const TELEMETRY_VALUE_BUCKETS = [0, 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

/**
 * The metric attributes of one event, after the caps; each a SeriesAttributes (or
 * OVERFLOW_ATTRIBUTES), so recording the event serializes none of them again.
 */
export interface TelemetrySeries {
  /** Of the event counter: plugin, name and the event's attributes (prefixed `attr_`). */
  event: PluginAttributes;
  /** Of the value histogram: plugin and name only, as a histogram renders a line per bucket. */
  value: PluginAttributes;
  /** Of the folded counter, when the event lost its name or attributes to a cap. */
  folded?: PluginAttributes;
}

/** The instruments of plugin telemetry in a PluginMetricStore. */
export interface TelemetryInstruments {
  events: PluginCounter;
  values: PluginHistogram;
  folded: PluginCounter;
  dropped: PluginCounter;
}

/** The telemetry instruments of `store` (the same ones for the same store). */
export function telemetryInstruments(store: PluginMetricStore): TelemetryInstruments {
  return {
    events: store.counter(
      'convergio_plugin_telemetry_events',
      'telemetry_emit events by plugin, name and attributes (redacted, capped)',
    ),
    values: store.histogram(
      'convergio_plugin_telemetry_value',
      'numeric values of telemetry_emit events, by plugin and name',
      TELEMETRY_VALUE_BUCKETS,
    ),
    folded: store.counter(
      'convergio_plugin_telemetry_folded',
      'telemetry_emit events that lost their name or attributes to the series caps',
    ),
    dropped: store.counter(
      'convergio_plugin_telemetry_dropped',
      'telemetry_emit events dropped by the per-plugin or per-publisher rate limit',
    ),
  };
}

/**
 * Picks the series of each event within the caps: per plugin at most
 * MAX_TELEMETRY_NAMES_PER_PLUGIN names (the rest count as `other`) and
 * MAX_TELEMETRY_SERIES_PER_PLUGIN attribute sets each at most MAX_TELEMETRY_SERIES_BYTES (past
 * these an event keeps only plugin and name); every series within the store's render budget,
 * charged to the plugin's publisher (past it, OVERFLOW_ATTRIBUTES). The caps count the series the
 * store holds, so a plugin whose series were evicted gets room again. Plugin attributes are
 * prefixed `attr_` so they cannot pose as `plugin`; attributes whose keys render as one label
 * are dropped, keeping plugin and name.
 */
export class TelemetrySeriesLimiter {
  constructor(private readonly instruments: TelemetryInstruments) {}

  seriesOf(owner: string, plugin: string, event: TelemetryEvent): TelemetrySeries {
    const { events, values } = this.instruments;
    const held = new SeriesAttributes({ plugin, name: event.name });
    const named = values.holds(held) || this.names(plugin) < MAX_TELEMETRY_NAMES_PER_PLUGIN;
    const value = values.within(
      owner,
      named ? held : new SeriesAttributes({ plugin, name: FOLDED_TELEMETRY_NAME }),
    );
    if (value === OVERFLOW_ATTRIBUTES)
      return { event: value, value, folded: this.folded(owner, plugin) };
    if (!named)
      return { event: events.within(owner, value), value, folded: this.folded(owner, plugin) };
    const full = labelled(value, event);
    if (full && events.holds(full)) return { event: events.within(owner, full), value };
    if (
      full &&
      events.seriesCount(plugin) < MAX_TELEMETRY_SERIES_PER_PLUGIN &&
      Buffer.byteLength(SeriesAttributes.keyOf(full)) <= MAX_TELEMETRY_SERIES_BYTES &&
      events.within(owner, full) === full
    )
      return { event: full, value };
    return { event: events.within(owner, value), value, folded: this.folded(owner, plugin) };
  }

  /** The names `plugin` has series of, `other` not counted. */
  private names(plugin: string): number {
    const { values } = this.instruments;
    const other = { plugin, name: FOLDED_TELEMETRY_NAME };
    return values.seriesCount(plugin) - (values.holds(other) ? 1 : 0);
  }

  private folded(owner: string, plugin: string): PluginAttributes {
    return this.instruments.folded.within(owner, new SeriesAttributes({ plugin }));
  }
}

/**
 * `value` with the event's attributes as labels `attr_<key>`, each key in the form the Prometheus
 * serializer renders it (every run of `.` and `_` as one `_`); undefined when two keys render the
 * same (`a.b`, `a_b`, `a__b`): a sample with a repeated label name fails the whole scrape
 * (Prometheus 2.16 and later).
 */
function labelled(value: PluginAttributes, event: TelemetryEvent): SeriesAttributes | undefined {
  const full: PluginAttributes = { ...value };
  for (const key of Object.keys(event.attributes).sort()) {
    const label = `attr_${key.replace(/[._]+/g, '_')}`;
    if (label in full) return undefined;
    full[label] = String(event.attributes[key]);
  }
  return new SeriesAttributes(full);
}

/**
 * telemetry_emit events as metrics (Prometheus at /metrics): a counter of events by plugin, name
 * and the event's attributes, and a histogram of numeric values by plugin and name, within the
 * caps of TelemetrySeriesLimiter, in the process's PluginMetricStore (ADR 0023, 0024). A plugin's
 * events past EXECUTOR_TELEMETRY_EVENTS_PER_SECOND (policy.telemetryEventsPerSecond, all its
 * instances together), and a publisher's past EXECUTOR_TELEMETRY_EVENTS_PER_SECOND_PER_PUBLISHER
 * (all its plugins together, ADR 0029), are dropped before any work and counted. Each event is
 * checked and redacted again here (values released to the version included): what a sandbox
 * process sends is not trusted.
 */
@Injectable()
export class TelemetryMetrics {
  private readonly instruments = telemetryInstruments(pluginMetricStore());
  private readonly limiter = new TelemetrySeriesLimiter(this.instruments);
  private readonly plugins: RateBuckets;
  private readonly publishers: RateBuckets;

  /**
   * @param settings.policy its `telemetryEventsPerSecond`, the rate each sandbox applies too
   * @param settings.telemetryEventsPerSecondPerPublisher the rate of all one publisher's plugins
   */
  constructor(
    @Inject(EXECUTOR_SETTINGS)
    settings: {
      policy: Pick<OperatorPolicy, 'telemetryEventsPerSecond'>;
      telemetryEventsPerSecondPerPublisher: number;
    },
  ) {
    this.plugins = new RateBuckets(settings.policy.telemetryEventsPerSecond);
    this.publishers = new RateBuckets(settings.telemetryEventsPerSecondPerPublisher);
  }

  /**
   * Records one event of `plugin`, charged to `owner` (its publisher, see slotOwner); false when
   * it is dropped (over a rate, or malformed).
   */
  record(owner: string, plugin: string, payload: unknown, released: ReleasedValues): boolean {
    const { events, values, folded, dropped } = this.instruments;
    // The plugin's bucket first: events over a plugin's own rate spend none of its publisher's.
    if (!this.plugins.take(plugin) || !this.publishers.take(owner)) {
      dropped.add(owner, { plugin });
      return false;
    }
    const checked = checkTelemetryEvent(payload, released);
    if (!checked.ok) return false;
    const series = this.limiter.seriesOf(owner, plugin, checked.value);
    events.add(owner, series.event);
    if (typeof checked.value.value === 'number')
      values.record(owner, series.value, checked.value.value);
    if (series.folded) folded.add(owner, series.folded);
    return true;
  }

  /** Counts `count` events of `plugin` its sandbox dropped over the rate (they never arrived). */
  recordDropped(owner: string, plugin: string, count: number): void {
    this.instruments.dropped.add(owner, { plugin }, count);
  }
}
