import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  type DataPoint,
  type Histogram,
  type MetricData,
  type MetricDescriptor,
} from '@opentelemetry/sdk-metrics';
import type { PluginMetricStore, Series } from './plugin-metric-store.js';
import type { PluginAttributes } from './series-attributes.js';

/**
 * The series a measurement counts under when its own does not fit the budget, and where the
 * values of evicted series go: the overflow attribute set of the OpenTelemetry metrics SDK
 * specification ("Cardinality limits"), so sums over all series stay whole.
 */
export const OVERFLOW_ATTRIBUTES = Object.freeze({
  'otel.metric.overflow': true,
}) as Readonly<Attributes> as PluginAttributes;

/** What one series (or the overflow series) has counted: a sum, and buckets for a histogram. */
class Aggregate {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  readonly buckets: number[];

  /** @param bucketCount buckets of a histogram (its bounds plus one); 0 for a counter */
  constructor(bucketCount: number) {
    this.buckets = new Array<number>(bucketCount).fill(0);
  }

  /** Adds `value` to the sum, which saturates at ±Number.MAX_VALUE (see finiteSum). */
  addToSum(value: number): void {
    this.sum = finiteSum(this.sum, value);
  }

  merge(other: Aggregate): void {
    this.count += other.count;
    this.addToSum(other.sum);
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    other.buckets.forEach((n, i) => (this.buckets[i] += n));
  }
}

/**
 * `a + b`, held at ±Number.MAX_VALUE where it would overflow: a sum at +Infinity renders as +Inf,
 * and merged with one at -Infinity (an evicted series into the overflow series) it would be NaN
 * for good. Telemetry values are bounded before they get here; this holds whatever is recorded.
 */
function finiteSum(a: number, b: number): number {
  const sum = a + b;
  if (Number.isFinite(sum)) return sum;
  if (Number.isNaN(sum)) return a;
  return sum > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
}

/**
 * A metric of {@link PluginMetricStore} whose series all carry a `plugin` label: each series is
 * created within the store's budget, else its measurements count under OVERFLOW_ATTRIBUTES.
 */
export abstract class PluginInstrument {
  /** Lines one series renders in the Prometheus text format. */
  abstract readonly lines: number;
  private readonly values = new Map<Series, Aggregate>();
  private readonly overflow: Aggregate;
  private readonly overflowStart = hrTime();
  /** Series of this instrument per plugin, for callers' per-plugin caps. */
  private readonly perPlugin = new Map<string, number>();

  /** @param bucketCount buckets of each series: a histogram's bounds plus one, 0 for a counter */
  constructor(
    protected readonly store: PluginMetricStore,
    protected readonly descriptor: Omit<MetricDescriptor, 'valueType'>,
    private readonly bucketCount: number,
  ) {
    this.overflow = new Aggregate(bucketCount);
  }

  get name(): string {
    return this.descriptor.name;
  }

  /** The series this instrument holds for `plugin`. */
  seriesCount(plugin: string): number {
    return this.perPlugin.get(plugin) ?? 0;
  }

  /**
   * `attributes` when their series exists or is created now (charged to `owner`, see
   * PluginMetricStore), else OVERFLOW_ATTRIBUTES.
   */
  within(owner: string, attributes: PluginAttributes): PluginAttributes {
    return this.store.seriesOf(this, owner, attributes) ? attributes : OVERFLOW_ATTRIBUTES;
  }

  /** Whether the series of `attributes` exists, without creating or touching it. */
  holds(attributes: PluginAttributes): boolean {
    return this.store.holds(this, attributes);
  }

  /** Called by the store when it creates a series of this instrument. */
  added(series: Series): void {
    this.values.set(series, new Aggregate(this.bucketCount));
    const plugin = series.attributes.plugin;
    this.perPlugin.set(plugin, this.seriesCount(plugin) + 1);
  }

  /** Called by the store when it evicts a series: its values move to the overflow series. */
  removed(series: Series): void {
    this.overflow.merge(this.values.get(series)!);
    this.values.delete(series);
    const plugin = series.attributes.plugin;
    const left = this.seriesCount(plugin) - 1;
    if (left === 0) this.perPlugin.delete(plugin);
    else this.perPlugin.set(plugin, left);
  }

  /** Every series with a measurement, as OpenTelemetry metric data ending at `endTime`. */
  metricData(endTime: HrTime): MetricData {
    const points: DataPoint<Aggregate>[] = [];
    if (this.overflow.count > 0)
      points.push({
        attributes: OVERFLOW_ATTRIBUTES,
        startTime: this.overflowStart,
        endTime,
        value: this.overflow,
      });
    for (const [series, value] of this.values)
      if (value.count > 0)
        points.push({ attributes: series.attributes, startTime: series.startTime, endTime, value });
    return this.dataOf(points);
  }

  /** The aggregate of `attributes`' series, or the overflow series' when it does not fit. */
  protected aggregateOf(owner: string, attributes: PluginAttributes): Aggregate {
    const series = this.store.seriesOf(this, owner, attributes);
    return series ? this.values.get(series)! : this.overflow;
  }

  protected abstract dataOf(points: DataPoint<Aggregate>[]): MetricData;

  protected metricDescriptor(): MetricDescriptor {
    return { ...this.descriptor, valueType: ValueType.DOUBLE };
  }
}

/** A monotonic counter of plugin-labelled series. */
export class PluginCounter extends PluginInstrument {
  readonly lines = 1;

  constructor(store: PluginMetricStore, descriptor: Omit<MetricDescriptor, 'valueType'>) {
    super(store, descriptor, 0);
  }

  /** Adds `value` (≥ 0) to the series of `attributes`, charged to `owner`. */
  add(owner: string, attributes: PluginAttributes, value = 1): void {
    const aggregate = this.aggregateOf(owner, attributes);
    aggregate.count++;
    aggregate.addToSum(value);
  }

  protected dataOf(points: DataPoint<Aggregate>[]): MetricData {
    return {
      descriptor: this.metricDescriptor(),
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.SUM,
      isMonotonic: true,
      dataPoints: points.map((p) => ({ ...p, value: p.value.sum })),
    };
  }
}

/** A histogram of plugin-labelled series with fixed bucket upper bounds (inclusive, ascending). */
export class PluginHistogram extends PluginInstrument {
  readonly lines: number;

  constructor(
    store: PluginMetricStore,
    descriptor: Omit<MetricDescriptor, 'valueType'>,
    private readonly boundaries: number[],
  ) {
    super(store, descriptor, boundaries.length + 1);
    this.lines = boundaries.length + 3; // a bucket per bound, +Inf, sum and count
  }

  /** Records `value` in the series of `attributes`, charged to `owner`. */
  record(owner: string, attributes: PluginAttributes, value: number): void {
    const aggregate = this.aggregateOf(owner, attributes);
    let bucket = 0;
    while (bucket < this.boundaries.length && value > this.boundaries[bucket]) bucket++;
    aggregate.buckets[bucket]++;
    aggregate.count++;
    aggregate.addToSum(value);
    aggregate.min = Math.min(aggregate.min, value);
    aggregate.max = Math.max(aggregate.max, value);
  }

  protected dataOf(points: DataPoint<Aggregate>[]): MetricData {
    return {
      descriptor: this.metricDescriptor(),
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: points.map((p) => ({
        ...p,
        value: {
          buckets: { boundaries: this.boundaries, counts: [...p.value.buckets] },
          count: p.value.count,
          sum: p.value.sum,
          min: p.value.min,
          max: p.value.max,
        } satisfies Histogram,
      })),
    };
  }
}
