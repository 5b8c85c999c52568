import { initTelemetry, renderMetrics } from '@convergio/observability';
import {
  FOLDED_TELEMETRY_NAME,
  MAX_TELEMETRY_NAMES_PER_PLUGIN,
  MAX_TELEMETRY_RENDER_BYTES,
  MAX_TELEMETRY_SERIES_BYTES,
  MAX_TELEMETRY_SERIES_PER_PLUGIN,
  OVERFLOW_ATTRIBUTES,
  TelemetryMetrics,
  TelemetrySeriesLimiter,
} from './telemetry-metrics.js';

const event = (name: string, attributes: Record<string, string | number | boolean> = {}) => ({
  name,
  attributes,
});

describe('telemetry series limits', () => {
  it('labels the event counter with plugin, name and prefixed attributes, the histogram with plugin and name', () => {
    expect(
      new TelemetrySeriesLimiter().seriesOf(
        'acme.a',
        event('jobs.done', { plugin: 'forged', ok: true }),
      ),
    ).toEqual({
      event: { plugin: 'acme.a', name: 'jobs.done', attr_ok: 'true', attr_plugin: 'forged' },
      value: { plugin: 'acme.a', name: 'jobs.done' },
    });
  });

  it('folds names past the per-plugin cap into "other", without touching another plugin', () => {
    const limiter = new TelemetrySeriesLimiter();
    for (let i = 0; i < MAX_TELEMETRY_NAMES_PER_PLUGIN; i++)
      expect(limiter.seriesOf('acme.a', event(`n${i}`)).folded).toBeUndefined();
    const other = { plugin: 'acme.a', name: FOLDED_TELEMETRY_NAME };
    expect(limiter.seriesOf('acme.a', event('one.more'))).toEqual({
      event: other,
      value: other,
      folded: { plugin: 'acme.a' },
    });
    expect(limiter.seriesOf('acme.a', event('n0')).folded).toBeUndefined();
    expect(limiter.seriesOf('acme.b', event('one.more')).folded).toBeUndefined();
  });

  it('drops the attributes of series past the per-plugin cap, keeping plugin and name', () => {
    const limiter = new TelemetrySeriesLimiter();
    for (let i = 0; i < MAX_TELEMETRY_SERIES_PER_PLUGIN; i++)
      expect(limiter.seriesOf('acme.a', event('req', { id: i })).folded).toBeUndefined();
    expect(limiter.seriesOf('acme.a', event('req', { id: 'new' }))).toEqual({
      event: { plugin: 'acme.a', name: 'req' },
      value: { plugin: 'acme.a', name: 'req' },
      folded: { plugin: 'acme.a' },
    });
    expect(limiter.seriesOf('acme.a', event('req', { id: 0 })).folded).toBeUndefined();
  });

  it('keeps only plugin and name for attributes larger than the series byte cap', () => {
    const limiter = new TelemetrySeriesLimiter();
    const wide = Object.fromEntries(
      Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v'.repeat(MAX_TELEMETRY_SERIES_BYTES / 8)]),
    );
    expect(limiter.seriesOf('acme.a', event('req', wide)).event).toEqual({
      plugin: 'acme.a',
      name: 'req',
    });
    expect(limiter.seriesOf('acme.a', event('req', { small: 'yes' })).folded).toBeUndefined();
  });

  it('counts new series of any plugin as overflow once the render budget is spent; known ones stay', () => {
    const limiter = new TelemetrySeriesLimiter();
    const bystander = limiter.seriesOf('bystander.a', event('req', { id: 1 }));
    let plugins = 0;
    while (
      limiter.seriesOf(`attacker.p${plugins}`, event('req', { id: 0 })).value !==
      OVERFLOW_ATTRIBUTES
    ) {
      for (let i = 1; i < MAX_TELEMETRY_SERIES_PER_PLUGIN; i++)
        limiter.seriesOf(`attacker.p${plugins}`, event('req', { id: 'x'.repeat(200) + i }));
      plugins++;
    }
    expect(plugins).toBeLessThan(
      MAX_TELEMETRY_RENDER_BYTES / (MAX_TELEMETRY_SERIES_PER_PLUGIN * 200),
    );
    expect(limiter.seriesOf('late.plugin', event('req'))).toEqual({
      event: OVERFLOW_ATTRIBUTES,
      value: OVERFLOW_ATTRIBUTES,
      folded: OVERFLOW_ATTRIBUTES,
    });
    expect(limiter.seriesOf('bystander.a', event('req', { id: 1 }))).toEqual(bystander);
  });
});

describe('telemetry metrics', () => {
  it('drops what a sandbox sends malformed, and redacts released values again', () => {
    const metrics = new TelemetryMetrics({ telemetryEventsPerSecond: 1_000_000 });
    expect(metrics.record('acme.a', { name: 'Bad Name' }, [])).toBe(false);
    expect(metrics.record('acme.a', 'not an event', [])).toBe(false);
    expect(
      metrics.record('acme.a', { name: 'ok', attributes: { v: 'secret-Value-1' } }, [
        'secret-Value-1',
      ]),
    ).toBe(true);
  });

  it('keeps /metrics within the render budget whatever many plugins emit', async () => {
    initTelemetry('executor'); // as the bootstrap does, before any instrument exists
    const metrics = new TelemetryMetrics({ telemetryEventsPerSecond: 1_000_000 });
    metrics.record('bystander.b', { name: 'jobs', value: 3 }, []);
    // The attack round's input: plugin ids fill their own caps with wide, ever-new attributes.
    for (let p = 0; p < 40; p++)
      for (let i = 0; i < 300; i++)
        metrics.record(
          `attacker.q${p}`,
          {
            name: `n${i % 40}`,
            value: i,
            attributes: Object.fromEntries(
              Array.from({ length: 4 }, (_, k) => [`k${k}`, `${'v'.repeat(90)}${i}`]),
            ),
          },
          [],
        );
    const text = await renderMetrics();
    const telemetry = text
      .split('\n')
      .filter((line) => line.startsWith('convergio_plugin_telemetry_'))
      .join('\n');
    expect(Buffer.byteLength(telemetry)).toBeLessThanOrEqual(MAX_TELEMETRY_RENDER_BYTES);
    expect(telemetry).toMatch(
      /^convergio_plugin_telemetry_events_total\{otel_metric_overflow="true"/m,
    );
    expect(telemetry).toMatch(
      /^convergio_plugin_telemetry_value_sum\{plugin="bystander\.b",name="jobs",otel_scope_name="convergio-executor"\} 3$/m,
    );
  });

  it("drops a plugin's events past its rate, counting them, without touching another plugin", async () => {
    initTelemetry('executor');
    const metrics = new TelemetryMetrics({ telemetryEventsPerSecond: 10 });
    const kept = Array.from({ length: 50 }, () =>
      metrics.record('flooder.a', { name: 'tick' }, []),
    ).filter(Boolean).length;
    // A second's worth goes through at once (the burst), and little more within the loop.
    expect(kept).toBeGreaterThanOrEqual(10);
    expect(kept).toBeLessThan(15);
    expect(metrics.record('quiet.b', { name: 'tick' }, [])).toBe(true);
    const text = await renderMetrics();
    expect(text).toMatch(
      new RegExp(
        `^convergio_plugin_telemetry_dropped_total\\{plugin="flooder\\.a"[^}]*\\} ${50 - kept}$`,
        'm',
      ),
    );
  });
});
