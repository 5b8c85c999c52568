import { metrics } from '@opentelemetry/api';
import { initTelemetry, renderMetrics } from './telemetry.js';

describe('renderMetrics', () => {
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
});
