import { jest } from '@jest/globals';
import { metrics } from '@opentelemetry/api';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { renderMetrics } from './telemetry.js';

describe('renderMetrics', () => {
  afterEach(() => jest.restoreAllMocks());

  it('renders what this process recorded in the Prometheus text format', async () => {
    await renderMetrics(); // sets telemetry up, as the bootstrap does
    metrics.getMeter('spec').createCounter('spec_rendered_things').add(3, { kind: 'a' });
    const text = await renderMetrics();
    expect(text).toContain('# TYPE spec_rendered_things_total counter');
    expect(text).toMatch(/^spec_rendered_things_total\{kind="a",otel_scope_name="spec"\} 3$/m);
  });

  it('renders once for scrapes that arrive together', async () => {
    const serialize = jest.spyOn(PrometheusSerializer.prototype, 'serialize');
    const texts = await Promise.all([renderMetrics(), renderMetrics(), renderMetrics()]);
    expect(serialize).toHaveBeenCalledTimes(1);
    expect(new Set(texts).size).toBe(1);
  });

  it('rejects when rendering fails, and renders again on the next scrape', async () => {
    jest.spyOn(PrometheusSerializer.prototype, 'serialize').mockImplementationOnce(() => {
      throw new RangeError('Invalid string length');
    });
    await expect(renderMetrics()).rejects.toThrow(RangeError);
    await expect(renderMetrics()).resolves.toContain('spec_rendered_things_total');
  });
});
