import { jest } from '@jest/globals';
import { metrics } from '@opentelemetry/api';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { initTelemetry, renderMetrics } from './telemetry.js';

describe('renderMetrics', () => {
  afterEach(() => jest.restoreAllMocks());

  it('refuses before telemetry is set up, then renders what this process recorded in the Prometheus text format, as its service', async () => {
    await expect(renderMetrics()).rejects.toThrow('initTelemetry has not run');
    initTelemetry('spec-service'); // as the bootstrap does, with the process's log name
    initTelemetry('another-name'); // the first name holds
    metrics.getMeter('spec').createCounter('spec_rendered_things').add(3, { kind: 'a' });
    const text = await renderMetrics();
    expect(text).toContain('# TYPE spec_rendered_things_total counter');
    expect(text).toMatch(/^spec_rendered_things_total\{kind="a",otel_scope_name="spec"\} 3$/m);
    expect(text).toMatch(
      /^target_info\{service_name="spec-service",telemetry_sdk_language="nodejs",/m,
    );
    expect(text).not.toContain('unknown_service');
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
