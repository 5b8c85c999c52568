import { metrics } from '@opentelemetry/api';
import { initTelemetry, renderMetrics } from '@convergio/observability';
import { CallMetrics } from './call-metrics.js';
import { MAX_PLUGIN_METRICS_RENDER_BYTES } from './plugin-metric-store.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));
const pluginLines = (text: string) =>
  text.split('\n').filter((line) => /^convergio_(plugin|permission)_/.test(line));

describe('call metrics', () => {
  beforeAll(() => initTelemetry('executor'));

  it('renders as the OpenTelemetry SDK renders the same measurements (names, buckets, labels)', async () => {
    const calls = new CallMetrics();
    const sdk = metrics.getMeter('convergio-executor');
    const sdkDuration = sdk.createHistogram('spec_sdk_call_duration', { unit: 'ms' });
    const sdkErrors = sdk.createCounter('spec_sdk_call_errors');
    for (const ms of [0, 3, 12, 80, 20_000]) {
      calls.call('pub.parity', 'parity.a', 'run', ms, undefined, 'timeout');
      sdkDuration.record(ms, { plugin: 'parity.a', function: 'run', outcome: 'error' });
      sdkErrors.add(1, { plugin: 'parity.a', code: 'timeout' });
    }
    await turn();
    const text = await renderMetrics();
    const ours = (name: string) =>
      text
        .split('\n')
        .filter((line) => line.startsWith(name) && line.includes('parity.a'))
        .map((line) => line.slice(name.length));
    expect(ours('convergio_plugin_call_duration')).toEqual(ours('spec_sdk_call_duration'));
    expect(ours('convergio_plugin_call_errors_total')).toEqual(ours('spec_sdk_call_errors_total'));
    expect(ours('convergio_plugin_call_duration_bucket')).toHaveLength(16);
  });

  it("keeps every plugin's call series within the render budget, a bystander publisher's kept", async () => {
    const calls = new CallMetrics();
    calls.call('pub.bystander', 'bystander.b', 'work', 5, { wallMs: 4, fuelUsed: 10 });
    await turn();
    // The attack round's input: plugins with 248-character ids and 256 tools each, every tool
    // called once, ok and failed (about 2 MB of /metrics per plugin before the budget).
    for (let p = 0; p < 8; p++) {
      const plugin = `${'x'.repeat(61)}.${'y'.repeat(61)}.${'z'.repeat(61)}.p${String(p).padStart(61, '0')}`;
      for (let t = 0; t < 256; t++) {
        calls.call('pub.attacker', plugin, `tool_${t}`, t, { wallMs: t, hostCalls: 1 });
        calls.call('pub.attacker', plugin, `tool_${t}`, t, undefined, 'internal');
      }
      await turn();
    }
    calls.call('pub.bystander', 'bystander.b', 'work', 7, { wallMs: 6, fuelUsed: 12 });
    await turn();
    const lines = pluginLines(await renderMetrics());
    expect(Buffer.byteLength(lines.join('\n'))).toBeLessThanOrEqual(
      MAX_PLUGIN_METRICS_RENDER_BYTES,
    );
    expect(lines).toContain(
      'convergio_plugin_call_duration_count{plugin="bystander.b",function="work",outcome="ok",otel_scope_name="convergio-executor"} 2',
    );
    // What the budget could not keep still counts, under the overflow series.
    const overflow = lines.find((line) =>
      line.startsWith('convergio_plugin_call_duration_count{otel_metric_overflow="true"'),
    );
    expect(overflow).toBeDefined();
  });
});
