import { Injectable } from '@nestjs/common';
import { metrics, type Attributes } from '@opentelemetry/api';
import { checkTelemetryEvent, type ReleasedValues, type TelemetryEvent } from '@convergio/policy';

/** Distinct event names one plugin may have as metrics; later ones are folded into `other`. */
export const MAX_TELEMETRY_NAMES_PER_PLUGIN = 32;
/** Distinct attribute sets (series) one plugin may have; later ones lose their attributes. */
export const MAX_TELEMETRY_SERIES_PER_PLUGIN = 256;
/**
 * Attribute sets all plugins together may have: plugin ids are free to create, so a per-plugin cap
 * alone lets a publisher grow /metrics without bound (one render of 400 MB ended the process).
 */
export const MAX_TELEMETRY_SERIES_TOTAL = 4096;
/** Bytes of one series' attributes (as JSON); a larger set keeps only plugin and name. */
export const MAX_TELEMETRY_SERIES_BYTES = 512;
/** The name events past {@link MAX_TELEMETRY_NAMES_PER_PLUGIN} are counted under. */
export const FOLDED_TELEMETRY_NAME = 'other';

/** The metric attributes of one event after the per-plugin caps. */
export interface TelemetrySeries {
  attributes: Attributes;
  /** True when the event lost its name or attributes to a cap. */
  folded: boolean;
}

/**
 * Bounds the series plugins can create: per plugin at most MAX_TELEMETRY_NAMES_PER_PLUGIN names
 * (the rest count as `other`) and MAX_TELEMETRY_SERIES_PER_PLUGIN attribute sets, across all
 * plugins MAX_TELEMETRY_SERIES_TOTAL, each at most MAX_TELEMETRY_SERIES_BYTES (past any of these
 * an event keeps only plugin and name). Plugin attributes are prefixed `attr_` so they cannot pose
 * as `plugin`.
 */
export class TelemetrySeriesLimiter {
  private readonly names = new Map<string, Set<string>>();
  private readonly series = new Map<string, Set<string>>();
  private total = 0;

  seriesOf(plugin: string, event: TelemetryEvent): TelemetrySeries {
    const names = this.names.get(plugin) ?? new Set<string>();
    this.names.set(plugin, names);
    const name = event.name;
    if (!names.has(name)) {
      if (names.size >= MAX_TELEMETRY_NAMES_PER_PLUGIN)
        return { attributes: { plugin, name: FOLDED_TELEMETRY_NAME }, folded: true };
      names.add(name);
    }
    const attributes: Attributes = { plugin, name };
    for (const key of Object.keys(event.attributes).sort())
      attributes[`attr_${key}`] = String(event.attributes[key]);
    const series = this.series.get(plugin) ?? new Set<string>();
    this.series.set(plugin, series);
    const id = JSON.stringify(attributes);
    if (series.has(id)) return { attributes, folded: false };
    if (
      series.size >= MAX_TELEMETRY_SERIES_PER_PLUGIN ||
      this.total >= MAX_TELEMETRY_SERIES_TOTAL ||
      Buffer.byteLength(id) > MAX_TELEMETRY_SERIES_BYTES
    )
      return { attributes: { plugin, name }, folded: true };
    series.add(id);
    this.total++;
    return { attributes, folded: false };
  }
}

/**
 * telemetry_emit events as OpenTelemetry metrics (Prometheus at /metrics): a counter of events
 * and a histogram of numeric values, by plugin, name and the event's attributes, within the
 * per-plugin caps. Each event is checked and redacted again here (values released to the
 * version included): what a sandbox process sends is not trusted.
 */
@Injectable()
export class TelemetryMetrics {
  private readonly meter = metrics.getMeter('convergio-executor');
  private readonly events = this.meter.createCounter('convergio_plugin_telemetry_events', {
    description:
      'telemetry_emit events by plugin, name and attributes (redacted, capped per plugin)',
  });
  private readonly values = this.meter.createHistogram('convergio_plugin_telemetry_value', {
    description: 'numeric values of telemetry_emit events, by plugin, name and attributes',
  });
  private readonly folded = this.meter.createCounter('convergio_plugin_telemetry_folded', {
    description: 'telemetry_emit events that lost their name or attributes to the per-plugin caps',
  });
  private readonly limiter = new TelemetrySeriesLimiter();

  /** Records one event of `plugin`; false when it is malformed (dropped). */
  record(plugin: string, payload: unknown, released: ReleasedValues): boolean {
    const checked = checkTelemetryEvent(payload, released);
    if (!checked.ok) return false;
    const { attributes, folded } = this.limiter.seriesOf(plugin, checked.value);
    this.events.add(1, attributes);
    if (typeof checked.value.value === 'number')
      this.values.record(checked.value.value, attributes);
    if (folded) this.folded.add(1, { plugin });
    return true;
  }
}
