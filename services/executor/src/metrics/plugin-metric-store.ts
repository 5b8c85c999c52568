import type { HrTime } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import type { CollectionResult, MetricData, MetricProducer } from '@opentelemetry/sdk-metrics';
import { registerMetricProducer } from '@convergio/observability';
import {
  OVERFLOW_ATTRIBUTES,
  PluginCounter,
  PluginHistogram,
  type PluginInstrument,
} from './plugin-instruments.js';
import { OwnersByBytes, type RankedOwner } from './owners-by-bytes.js';
import { SeriesAttributes, type PluginAttributes } from './series-attributes.js';

/**
 * Bytes all plugin-labelled series together may add to one /metrics render, each series charged
 * its labels plus {@link RENDERED_LINE_BYTES} on every line it renders. Plugin ids and tools are
 * free to create, so without it a publisher grows /metrics without bound (14 MB from 5 plugins of
 * 256 tools stalled /healthz for seconds).
 */
export const MAX_PLUGIN_METRICS_RENDER_BYTES = 8 * 1024 * 1024;
/** What a rendered line costs besides its labels: metric name, scope label, value. */
const RENDERED_LINE_BYTES = 100;
/** The instrumentation scope of the executor's metrics (`otel_scope_name` on each line). */
const SCOPE = { name: 'convergio-executor' };

/**
 * One series: its key (among its instrument's, see SeriesAttributes.keyOf), labels, and what it is
 * charged to (its values are kept by its instrument).
 */
export interface Series {
  readonly key: string;
  readonly instrument: PluginInstrument;
  readonly attributes: PluginAttributes;
  readonly owner: string;
  readonly cost: number;
  readonly startTime: HrTime;
}

/** One owner's series, least recently used first, and the bytes they are charged. */
interface Holding extends RankedOwner {
  readonly series: Set<Series>;
}

/**
 * The executor's plugin-labelled metrics (call metrics, telemetry), kept outside the OpenTelemetry
 * SDK because their series must be forgotten, which a cumulative SDK instrument never does, and
 * rendered at /metrics through the SDK's MetricProducer interface (same names, labels and scope
 * as SDK instruments).
 *
 * All series together are charged against a render budget ({@link MAX_PLUGIN_METRICS_RENDER_BYTES}),
 * shared fairly between owners (publishers, ADR 0025): a new series fits when the budget has room;
 * else, when its owner holds less than an equal share, the least recently used series of the owner
 * holding the most are evicted (their values move to the overflow series); an owner at its share
 * gives up its own least recently used series. Series of plugins that stopped running are thus
 * the first to go, and no owner can keep another below its share for long.
 */
export class PluginMetricStore implements MetricProducer {
  /** Each instrument's series by key. */
  private readonly series = new Map<PluginInstrument, Map<string, Series>>();
  private readonly owners = new Map<string, Holding>();
  private readonly ranking = new OwnersByBytes<Holding>();
  /** Owners added so far: the order of addition breaks ties in the ranking. */
  private ownersAdded = 0;
  private readonly instruments = new Map<string, PluginInstrument>();
  private usedBytes = 0;

  /** @param budgetBytes the render budget, {@link MAX_PLUGIN_METRICS_RENDER_BYTES} unless a test says less */
  constructor(private readonly budgetBytes = MAX_PLUGIN_METRICS_RENDER_BYTES) {}

  /** The monotonic counter `name` (`_total` in /metrics); the same instrument for the same name. */
  counter(name: string, description: string, unit = ''): PluginCounter {
    return this.instrument(name, () => new PluginCounter(this, { name, description, unit }));
  }

  /** The histogram `name` with these bucket upper bounds; the same instrument for the same name. */
  histogram(name: string, description: string, boundaries: number[], unit = ''): PluginHistogram {
    return this.instrument(
      name,
      () => new PluginHistogram(this, { name, description, unit }, boundaries),
    );
  }

  /**
   * The series of `attributes` on `instrument`, created within the budget and charged to `owner`
   * (marked most recently used); undefined when it does not fit, or for OVERFLOW_ATTRIBUTES.
   */
  seriesOf(
    instrument: PluginInstrument,
    owner: string,
    attributes: PluginAttributes,
  ): Series | undefined {
    if (attributes === OVERFLOW_ATTRIBUTES) return undefined;
    const key = SeriesAttributes.keyOf(attributes);
    const ofInstrument = this.series.get(instrument)!;
    const found = ofInstrument.get(key);
    if (found) {
      const own = this.owners.get(found.owner)!.series;
      own.delete(found);
      own.add(found);
      return found;
    }
    // Its labels as rendered: the metric name, a space, the attributes.
    const labelBytes = Buffer.byteLength(instrument.name) + 1 + Buffer.byteLength(key);
    const cost = instrument.lines * (labelBytes + RENDERED_LINE_BYTES);
    if (!this.makeRoom(owner, cost)) return undefined;
    const series: Series = { key, instrument, attributes, owner, cost, startTime: hrTime() };
    ofInstrument.set(key, series);
    let held = this.owners.get(owner);
    if (!held) {
      held = { id: owner, series: new Set(), bytes: 0, since: this.ownersAdded++, heapIndex: -1 };
      this.owners.set(owner, held);
      this.ranking.add(held);
    }
    held.series.add(series);
    held.bytes += cost;
    this.ranking.update(held);
    this.usedBytes += cost;
    instrument.added(series);
    return series;
  }

  /** Whether the series of `attributes` on `instrument` exists, without creating or touching it. */
  holds(instrument: PluginInstrument, attributes: PluginAttributes): boolean {
    return this.series.get(instrument)!.has(SeriesAttributes.keyOf(attributes));
  }

  /** The bytes the series of `owner` are charged; 0 when it holds none. */
  ownerBytes(owner: string): number {
    return this.owners.get(owner)?.bytes ?? 0;
  }

  /** Every instrument's series as OpenTelemetry metric data, for the Prometheus render. */
  collect(): Promise<CollectionResult> {
    const endTime = hrTime();
    const metrics: MetricData[] = [];
    for (const instrument of this.instruments.values()) {
      const data = instrument.metricData(endTime);
      if (data.dataPoints.length > 0) metrics.push(data);
    }
    return Promise.resolve({
      resourceMetrics: { resource: emptyResource(), scopeMetrics: [{ scope: SCOPE, metrics }] },
      errors: [],
    });
  }

  private instrument<T extends PluginInstrument>(name: string, create: () => T): T {
    let instrument = this.instruments.get(name);
    if (!instrument) {
      this.instruments.set(name, (instrument = create()));
      this.series.set(instrument, new Map());
    }
    return instrument as T;
  }

  /** Evicts as the class comment says until `cost` more fits; false when it cannot be made to. */
  private makeRoom(owner: string, cost: number): boolean {
    while (this.usedBytes + cost > this.budgetBytes) {
      const holding = this.owners.has(owner) ? this.owners.size : this.owners.size + 1;
      const share = this.budgetBytes / holding;
      if (cost > share) return false;
      const victim =
        this.ownerBytes(owner) + cost > share
          ? this.owners.get(owner)
          : this.ranking.largestBut(owner);
      if (victim === undefined) return false;
      this.evict(victim.series.values().next().value!);
    }
    return true;
  }

  private evict(series: Series): void {
    this.series.get(series.instrument)!.delete(series.key);
    const held = this.owners.get(series.owner)!;
    held.series.delete(series);
    held.bytes -= series.cost;
    if (held.series.size === 0) {
      this.owners.delete(series.owner);
      this.ranking.remove(held);
    } else this.ranking.update(held);
    this.usedBytes -= series.cost;
    series.instrument.removed(series);
  }
}

let processStore: PluginMetricStore | undefined;

/** This process's store of plugin metrics, rendered at /metrics from its first use. */
export function pluginMetricStore(): PluginMetricStore {
  if (!processStore) registerMetricProducer((processStore = new PluginMetricStore()));
  return processStore;
}
