import { metrics } from '@opentelemetry/api';
import { renderMetrics } from './telemetry.js';

describe('renderMetrics', () => {
  it('renders what this process recorded in the Prometheus text format', async () => {
    await renderMetrics(); // sets telemetry up, as the bootstrap does
    metrics.getMeter('spec').createCounter('spec_rendered_things').add(3, { kind: 'a' });
    const text = await renderMetrics();
    expect(text).toContain('# TYPE spec_rendered_things_total counter');
    expect(text).toMatch(/^spec_rendered_things_total\{kind="a",otel_scope_name="spec"\} 3$/m);
  });
});
