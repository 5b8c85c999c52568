import { initTelemetry, registerMetricProducer, renderMetrics } from '@convergio/observability';
import { PluginMetricStore } from './plugin-metric-store.js';

describe('plugin instruments', () => {
  beforeAll(() => initTelemetry('executor'));

  it('keeps sums finite when huge values of both signs are evicted into the overflow series', async () => {
    const store = new PluginMetricStore(4 * 1024);
    const unregister = registerMetricProducer(store);
    try {
      const values = store.histogram('spec_huge_value', 'huge values', [0, 1]);
      const events = store.counter('spec_huge_events', 'huge increments');
      // The attack's input: each series' sum overflows alone (+Inf, -Inf), and their merge
      // into the overflow series would be NaN.
      for (let i = 0; i < 3; i++) {
        values.record('pub.mallory', { plugin: 'mallory.up' }, 1.7e308);
        values.record('pub.mallory', { plugin: 'mallory.down' }, -1.7e308);
        events.add('pub.mallory', { plugin: 'mallory.up' }, 1.7e308);
      }
      // Series of the same publisher until the budget has evicted the ones above.
      for (let i = 0; i < 100; i++) {
        values.record('pub.mallory', { plugin: `mallory.p${i}` }, -1.7e308);
        events.add('pub.mallory', { plugin: `mallory.p${i}` }, 1.7e308);
      }
      expect(values.holds({ plugin: 'mallory.up' })).toBe(false);
      expect(values.holds({ plugin: 'mallory.down' })).toBe(false);

      const lines = (await renderMetrics())
        .split('\n')
        .filter((line) => line.startsWith('spec_huge_'));
      expect(lines.some((line) => line.includes('otel_metric_overflow="true"'))).toBe(true);
      expect(lines.filter((line) => !Number.isFinite(Number(line.split(' ').at(-1))))).toEqual([]);
    } finally {
      unregister();
    }
  });
});
