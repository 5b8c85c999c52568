import { initTelemetry, renderMetrics } from '@convergio/observability';
import { MAX_PLUGIN_METRICS_RENDER_BYTES, PluginMetricStore } from './plugin-metric-store.js';
import {
  FOLDED_TELEMETRY_NAME,
  MAX_TELEMETRY_NAMES_PER_PLUGIN,
  MAX_TELEMETRY_SERIES_BYTES,
  MAX_TELEMETRY_SERIES_PER_PLUGIN,
  TelemetryMetrics,
  TelemetrySeriesLimiter,
  telemetryInstruments,
} from './telemetry-metrics.js';

const event = (name: string, attributes: Record<string, string | number | boolean> = {}) => ({
  name,
  attributes,
});

/** TelemetryMetrics at `perPlugin` events a second, and `perPublisher` (10 times as many unless given). */
const metricsAt = (perPlugin: number, perPublisher = 10 * perPlugin) =>
  new TelemetryMetrics({
    policy: { telemetryEventsPerSecond: perPlugin },
    telemetryEventsPerSecondPerPublisher: perPublisher,
  });

const limiterWithin = (budgetBytes?: number) =>
  new TelemetrySeriesLimiter(telemetryInstruments(new PluginMetricStore(budgetBytes)));

describe('telemetry series limits', () => {
  it('labels the event counter with plugin, name and prefixed attributes, the histogram with plugin and name', () => {
    expect(
      limiterWithin().seriesOf(
        'pub.acme',
        'acme.a',
        event('jobs.done', { plugin: 'forged', ok: true }),
      ),
    ).toEqual({
      event: { plugin: 'acme.a', name: 'jobs.done', attr_ok: 'true', attr_plugin: 'forged' },
      value: { plugin: 'acme.a', name: 'jobs.done' },
    });
  });

  it('folds names past the per-plugin cap into "other", without touching another plugin', () => {
    const limiter = limiterWithin();
    for (let i = 0; i < MAX_TELEMETRY_NAMES_PER_PLUGIN; i++)
      expect(limiter.seriesOf('pub.acme', 'acme.a', event(`n${i}`)).folded).toBeUndefined();
    const other = { plugin: 'acme.a', name: FOLDED_TELEMETRY_NAME };
    expect(limiter.seriesOf('pub.acme', 'acme.a', event('one.more'))).toEqual({
      event: other,
      value: other,
      folded: { plugin: 'acme.a' },
    });
    expect(limiter.seriesOf('pub.acme', 'acme.a', event('n0')).folded).toBeUndefined();
    expect(limiter.seriesOf('pub.acme', 'acme.b', event('one.more')).folded).toBeUndefined();
  });

  it('drops the attributes of series past the per-plugin cap, keeping plugin and name', () => {
    const limiter = limiterWithin();
    for (let i = 0; i < MAX_TELEMETRY_SERIES_PER_PLUGIN; i++)
      expect(
        limiter.seriesOf('pub.acme', 'acme.a', event('req', { id: i })).folded,
      ).toBeUndefined();
    expect(limiter.seriesOf('pub.acme', 'acme.a', event('req', { id: 'new' }))).toEqual({
      event: { plugin: 'acme.a', name: 'req' },
      value: { plugin: 'acme.a', name: 'req' },
      folded: { plugin: 'acme.a' },
    });
    expect(limiter.seriesOf('pub.acme', 'acme.a', event('req', { id: 0 })).folded).toBeUndefined();
  });

  it('keeps only plugin and name for attributes larger than the series byte cap', () => {
    const limiter = limiterWithin();
    const wide = Object.fromEntries(
      Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v'.repeat(MAX_TELEMETRY_SERIES_BYTES / 8)]),
    );
    expect(limiter.seriesOf('pub.acme', 'acme.a', event('req', wide)).event).toEqual({
      plugin: 'acme.a',
      name: 'req',
    });
    expect(
      limiter.seriesOf('pub.acme', 'acme.a', event('req', { small: 'yes' })).folded,
    ).toBeUndefined();
  });

  it('keeps only plugin and name when two attribute keys render as one label (a.b and a_b)', () => {
    const limiter = limiterWithin();
    expect(limiter.seriesOf('pub.acme', 'acme.a', event('ev', { 'a.b': '1', a_b: '2' }))).toEqual({
      event: { plugin: 'acme.a', name: 'ev' },
      value: { plugin: 'acme.a', name: 'ev' },
      folded: { plugin: 'acme.a' },
    });
    expect(limiter.seriesOf('pub.acme', 'acme.a', event('ev', { 'x.y': '1' })).event).toEqual({
      plugin: 'acme.a',
      name: 'ev',
      attr_x_y: '1',
    });
    expect(
      limiter.seriesOf('pub.acme', 'acme.a', event('ev', { x_y: '1' })).folded,
    ).toBeUndefined();
  });

  it("gives a late publisher its share of a budget another publisher filled, the filler's oldest series going first", () => {
    const budget = 256 * 1024;
    const store = new PluginMetricStore(budget);
    const instruments = telemetryInstruments(store);
    const limiter = new TelemetrySeriesLimiter(instruments);
    const first = limiter.seriesOf('pub.attacker', 'attacker.p0', event('req', { id: 0 }));
    let last = first;
    for (let p = 0; p < 20; p++)
      for (let i = 0; i < MAX_TELEMETRY_SERIES_PER_PLUGIN; i++)
        last = limiter.seriesOf('pub.attacker', `attacker.p${p}`, event('req', { id: i }));
    // Alone, the filler takes the whole budget, its newest series in place of its oldest.
    expect(store.ownerBytes('pub.attacker')).toBeGreaterThan(budget * 0.95);
    expect(last.folded).toBeUndefined();
    expect(instruments.events.holds(first.event)).toBe(false);
    const late = limiter.seriesOf('pub.late', 'late.plugin', event('req', { id: 1 }));
    expect(late).toEqual({
      event: { plugin: 'late.plugin', name: 'req', attr_id: '1' },
      value: { plugin: 'late.plugin', name: 'req' },
    });
    for (let i = 0; i < 100; i++)
      limiter.seriesOf('pub.late', 'late.plugin', event('req', { id: i }));
    expect(instruments.events.holds(late.event)).toBe(true);
    expect(instruments.events.holds(last.event)).toBe(true);
    expect(store.ownerBytes('pub.attacker')).toBeLessThan(budget);
  });
});

describe('telemetry metrics', () => {
  it('drops what a sandbox sends malformed, and redacts released values again', () => {
    const metrics = metricsAt(1_000_000);
    expect(metrics.record('pub.acme', 'acme.a', { name: 'Bad Name' }, [])).toBe(false);
    expect(metrics.record('pub.acme', 'acme.a', 'not an event', [])).toBe(false);
    expect(
      metrics.record('pub.acme', 'acme.a', { name: 'ok', attributes: { v: 'secret-Value-1' } }, [
        'secret-Value-1',
      ]),
    ).toBe(true);
  });

  it('keeps /metrics within the render budget whatever many plugins emit', async () => {
    initTelemetry('executor'); // as the bootstrap does, before any instrument exists
    const metrics = metricsAt(1_000_000);
    metrics.record('pub.bystander', 'bystander.b', { name: 'jobs', value: 3 }, []);
    // The attack round's input, scaled past the budget: plugin ids fill their own caps with
    // wide, ever-new attributes.
    for (let p = 0; p < 60; p++)
      for (let i = 0; i < 300; i++)
        metrics.record(
          'pub.attacker',
          `attacker.q${p}`,
          {
            name: `n${i % 40}`,
            value: i,
            attributes: Object.fromEntries(
              Array.from({ length: 4 }, (_, k) => [`k${k}`, `${'v'.repeat(100)}${i}`]),
            ),
          },
          [],
        );
    metrics.record(
      'pub.attacker',
      'attacker.dots',
      { name: 'ev', attributes: { 'a.b': '1', a_b: '2' } },
      [],
    );
    const text = await renderMetrics();
    for (const line of text.split('\n').filter((l) => l.includes('{'))) {
      const names = [...line.matchAll(/[{,]([a-zA-Z_][a-zA-Z0-9_]*)=/g)].map((m) => m[1]);
      expect(new Set(names).size).toBe(names.length);
    }
    const telemetry = text
      .split('\n')
      .filter((line) => line.startsWith('convergio_plugin_telemetry_'))
      .join('\n');
    expect(Buffer.byteLength(telemetry)).toBeLessThanOrEqual(MAX_PLUGIN_METRICS_RENDER_BYTES);
    expect(telemetry).toMatch(
      /^convergio_plugin_telemetry_events_total\{otel_metric_overflow="true"/m,
    );
    expect(telemetry).toMatch(
      /^convergio_plugin_telemetry_value_sum\{plugin="bystander\.b",name="jobs",otel_scope_name="convergio-executor"\} 3$/m,
    );
  });

  it('renders every attribute key as a label of its own, whatever runs of dots and underscores it has', async () => {
    initTelemetry('executor');
    const metrics = metricsAt(1_000_000);
    // The serializer turns each run of underscores into one: a__b and a._b render as a_b.
    const attack = { a__b: '1', a_b: '2', 'c._d': '3' };
    expect(
      metrics.record('pub.attacker', 'attacker.runs', { name: 'ev', attributes: attack }, []),
    ).toBe(true);
    expect(
      metrics.record('pub.attacker', 'attacker.runs', { name: 'x', attributes: { y__z: '1' } }, []),
    ).toBe(true);
    expect(
      metrics.record('pub.attacker', 'attacker.runs', { name: 'x', attributes: { y_z: '1' } }, []),
    ).toBe(true);
    const lines = (await renderMetrics())
      .split('\n')
      .filter((line) =>
        line.startsWith('convergio_plugin_telemetry_events_total{plugin="attacker.runs"'),
      );
    for (const line of lines) {
      const names = [...line.matchAll(/[{,]([a-zA-Z_][a-zA-Z0-9_]*)=/g)].map((m) => m[1]);
      expect(new Set(names).size).toBe(names.length);
    }
    const labelSets = lines.map((line) => line.slice(0, line.lastIndexOf(' ')));
    expect(new Set(labelSets).size).toBe(labelSets.length);
    expect(lines).toContain(
      'convergio_plugin_telemetry_events_total{plugin="attacker.runs",name="x",attr_y_z="1",otel_scope_name="convergio-executor"} 2',
    );
  });

  it("drops a plugin's events past its rate, counting them, without touching another plugin", async () => {
    initTelemetry('executor');
    const metrics = metricsAt(10);
    const kept = Array.from({ length: 50 }, () =>
      metrics.record('pub.flooder', 'flooder.a', { name: 'tick' }, []),
    ).filter(Boolean).length;
    // A second's worth goes through at once (the burst), and little more within the loop.
    expect(kept).toBeGreaterThanOrEqual(10);
    expect(kept).toBeLessThan(15);
    expect(metrics.record('pub.flooder', 'quiet.b', { name: 'tick' }, [])).toBe(true);
    const text = await renderMetrics();
    expect(text).toMatch(
      new RegExp(
        `^convergio_plugin_telemetry_dropped_total\\{plugin="flooder\\.a"[^}]*\\} ${50 - kept}$`,
        'm',
      ),
    );
  });

  it("holds all of one publisher's plugins to its rate, while another publisher's plugin is fully served", async () => {
    initTelemetry('executor');
    // 8 plugins of one publisher, each within its own rate of 10: together past the publisher's 20.
    const metrics = metricsAt(10, 20);
    const plugins = Array.from({ length: 8 }, (_, i) => `many.p${i}`);
    let kept = 0;
    for (let round = 0; round < 10; round++)
      for (const plugin of plugins)
        if (metrics.record('pub.many', plugin, { name: 'tick' }, [])) kept++;
    const bystander = Array.from({ length: 10 }, () =>
      metrics.record('pub.quiet', 'quiet.q', { name: 'tick' }, []),
    );
    // The publisher's second's worth (the burst) goes through, and little more within the loop.
    expect(kept).toBeGreaterThanOrEqual(20);
    expect(kept).toBeLessThan(25);
    expect(bystander).toEqual(Array.from({ length: 10 }, () => true));
    const text = await renderMetrics();
    const droppedOf = (plugin: string) =>
      Number(
        new RegExp(
          `^convergio_plugin_telemetry_dropped_total\\{plugin="${plugin.replace('.', '\\.')}"[^}]*\\} (\\d+)$`,
          'm',
        ).exec(text)?.[1] ?? 0,
      );
    // Each drop is counted for the plugin that sent it.
    expect(plugins.reduce((sum, plugin) => sum + droppedOf(plugin), 0)).toBe(80 - kept);
    expect(droppedOf('many.p7')).toBeGreaterThan(0);
    expect(droppedOf('quiet.q')).toBe(0);
  });
});
