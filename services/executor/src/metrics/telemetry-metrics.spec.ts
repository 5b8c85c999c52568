import {
  FOLDED_TELEMETRY_NAME,
  MAX_TELEMETRY_NAMES_PER_PLUGIN,
  MAX_TELEMETRY_SERIES_BYTES,
  MAX_TELEMETRY_SERIES_PER_PLUGIN,
  MAX_TELEMETRY_SERIES_TOTAL,
  TelemetryMetrics,
  TelemetrySeriesLimiter,
} from './telemetry-metrics.js';

const event = (name: string, attributes: Record<string, string | number | boolean> = {}) => ({
  name,
  attributes,
});

describe('telemetry series limits', () => {
  it('labels an event with its plugin, name and prefixed attributes', () => {
    expect(
      new TelemetrySeriesLimiter().seriesOf(
        'acme.a',
        event('jobs.done', { plugin: 'forged', ok: true }),
      ),
    ).toEqual({
      attributes: { plugin: 'acme.a', name: 'jobs.done', attr_ok: 'true', attr_plugin: 'forged' },
      folded: false,
    });
  });

  it('folds names past the per-plugin cap into "other", without touching another plugin', () => {
    const limiter = new TelemetrySeriesLimiter();
    for (let i = 0; i < MAX_TELEMETRY_NAMES_PER_PLUGIN; i++)
      expect(limiter.seriesOf('acme.a', event(`n${i}`)).folded).toBe(false);
    expect(limiter.seriesOf('acme.a', event('one.more'))).toEqual({
      attributes: { plugin: 'acme.a', name: FOLDED_TELEMETRY_NAME },
      folded: true,
    });
    expect(limiter.seriesOf('acme.a', event('n0')).folded).toBe(false);
    expect(limiter.seriesOf('acme.b', event('one.more')).folded).toBe(false);
  });

  it('drops the attributes of series past the per-plugin cap, keeping plugin and name', () => {
    const limiter = new TelemetrySeriesLimiter();
    for (let i = 0; i < MAX_TELEMETRY_SERIES_PER_PLUGIN; i++)
      expect(limiter.seriesOf('acme.a', event('req', { id: i })).folded).toBe(false);
    expect(limiter.seriesOf('acme.a', event('req', { id: 'new' }))).toEqual({
      attributes: { plugin: 'acme.a', name: 'req' },
      folded: true,
    });
    expect(limiter.seriesOf('acme.a', event('req', { id: 0 })).folded).toBe(false);
  });

  it('caps series across plugins, so new plugin ids cannot grow /metrics without bound', () => {
    const limiter = new TelemetrySeriesLimiter();
    const plugins = Math.ceil(MAX_TELEMETRY_SERIES_TOTAL / MAX_TELEMETRY_SERIES_PER_PLUGIN);
    let kept = 0;
    for (let p = 0; p < plugins + 1; p++)
      for (let i = 0; i < MAX_TELEMETRY_SERIES_PER_PLUGIN; i++)
        if (!limiter.seriesOf(`attacker.p${p}`, event('req', { id: i })).folded) kept++;
    expect(kept).toBe(MAX_TELEMETRY_SERIES_TOTAL);
    expect(limiter.seriesOf('bystander.a', event('req', { id: 1 }))).toEqual({
      attributes: { plugin: 'bystander.a', name: 'req' },
      folded: true,
    });
  });

  it('keeps only plugin and name for attributes larger than the series byte cap', () => {
    const limiter = new TelemetrySeriesLimiter();
    const wide = Object.fromEntries(
      Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v'.repeat(MAX_TELEMETRY_SERIES_BYTES / 8)]),
    );
    expect(limiter.seriesOf('acme.a', event('req', wide))).toEqual({
      attributes: { plugin: 'acme.a', name: 'req' },
      folded: true,
    });
    expect(limiter.seriesOf('acme.a', event('req', { small: 'yes' })).folded).toBe(false);
  });

  it('drops what a sandbox sends malformed, and redacts released values again', () => {
    const metrics = new TelemetryMetrics();
    expect(metrics.record('acme.a', { name: 'Bad Name' }, [])).toBe(false);
    expect(metrics.record('acme.a', 'not an event', [])).toBe(false);
    expect(
      metrics.record('acme.a', { name: 'ok', attributes: { v: 'secret-Value-1' } }, [
        'secret-Value-1',
      ]),
    ).toBe(true);
  });
});
