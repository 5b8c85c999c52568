import { jest } from '@jest/globals';
import { CallMetrics } from './call-metrics.js';
import { PluginMetricStore } from './plugin-metric-store.js';
import { SeriesAttributes } from './series-attributes.js';
import {
  TelemetryMetrics,
  TelemetrySeriesLimiter,
  telemetryInstruments,
} from './telemetry-metrics.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** How many times `run` serialized an object of `plugin`'s series to JSON. */
async function serializationsOf(plugin: string, run: () => unknown): Promise<number> {
  const stringify = jest.spyOn(JSON, 'stringify');
  try {
    await run();
    return stringify.mock.calls.filter(
      ([value]) => (value as { plugin?: unknown } | null)?.plugin === plugin,
    ).length;
  } finally {
    stringify.mockRestore();
  }
}

describe('SeriesAttributes', () => {
  it('is its attributes, with the key a series is found by', () => {
    const attributes = { plugin: 'acme.a', name: 'jobs', attr_ok: 'true' };
    const keyed = new SeriesAttributes(attributes);
    expect(keyed).toEqual(attributes);
    expect(Object.entries(keyed)).toEqual(Object.entries(attributes));
    expect(JSON.stringify(keyed)).toBe(JSON.stringify(attributes));
    expect(SeriesAttributes.keyOf(keyed)).toBe(SeriesAttributes.keyOf(attributes));
    expect(Object.isFrozen(keyed)).toBe(true);
  });

  it('finds the same series whether given plain or keyed attributes', () => {
    const store = new PluginMetricStore();
    const counter = store.counter('spec_keyed', '');
    counter.add('pub.acme', { plugin: 'acme.a', code: 'timeout' });
    expect(counter.holds(new SeriesAttributes({ plugin: 'acme.a', code: 'timeout' }))).toBe(true);
    counter.add('pub.acme', new SeriesAttributes({ plugin: 'acme.a', code: 'timeout' }));
    expect(counter.seriesCount('acme.a')).toBe(1);
  });

  it('lets a telemetry event of a known series serialize its attributes once per series', async () => {
    const metrics = new TelemetryMetrics({
      policy: { telemetryEventsPerSecond: 1_000_000 },
      telemetryEventsPerSecondPerPublisher: 1_000_000,
    });
    const event = { name: 'jobs', value: 2, attributes: { status: 'ok', region: 'eu' } };
    metrics.record('pub.keyed', 'keyed.t', event, []);
    // Its name's series (plugin, name) and its attributes' (plugin, name, attr_*): 7 before.
    expect(
      await serializationsOf('keyed.t', () => metrics.record('pub.keyed', 'keyed.t', event, [])),
    ).toBe(2);
    const limiter = new TelemetrySeriesLimiter(telemetryInstruments(new PluginMetricStore()));
    limiter.seriesOf('pub.keyed', 'keyed.l', event);
    expect(
      await serializationsOf('keyed.l', () => limiter.seriesOf('pub.keyed', 'keyed.l', event)),
    ).toBe(2);
  });

  it('lets a finished call serialize the attributes of each series set once', async () => {
    const calls = new CallMetrics();
    const usage = { wallMs: 2, fuelUsed: 10, memoryPages: 17, hostCalls: 3 };
    calls.call('pub.keyed', 'keyed.c', 'run', 3, usage, 'timeout');
    await turn();
    // Duration (plugin, function, outcome), errors (plugin, code) and the four usage
    // histograms' (plugin): 6 before.
    expect(
      await serializationsOf('keyed.c', () => {
        calls.call('pub.keyed', 'keyed.c', 'run', 3, usage, 'timeout');
        return turn();
      }),
    ).toBe(3);
  });
});
