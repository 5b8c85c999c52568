import { metrics, propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { defaultResource, emptyResource, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type MetricProducer } from '@opentelemetry/sdk-metrics';

let exporter: PrometheusExporter | undefined;

/**
 * Sets up OpenTelemetry for this process once: W3C trace context propagation (traceparent),
 * and metrics collected for Prometheus (served by the app at /metrics,
 * never on a port of the exporter's own), as the OpenTelemetry service `serviceName` (the
 * `service` of the process's log lines: `gateway`, ..., `convergio` in standalone mode), which
 * /metrics shows as `service_name` on `target_info`. The first call's name holds.
 */
export function initTelemetry(serviceName: string): PrometheusExporter {
  if (exporter) return exporter;
  // No context manager: trace context is passed explicitly (MessageContext), since on Node 20 the
  // async hook behind AsyncLocalStorage costs every promise of the process (ADR 0031).
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  exporter = new PrometheusExporter({ preventServerStart: true, metricProducers: [registered] });
  // The SDK's own attributes (telemetry.sdk.*) stay; service.name replaces its
  // `unknown_service:node`.
  const resource = defaultResource().merge(resourceFromAttributes({ 'service.name': serviceName }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [exporter], resource }));
  return exporter;
}

const producers = new Set<MetricProducer>();

/** What the producers given to registerMetricProducer hold, collected with the SDK's own metrics. */
const registered: MetricProducer = {
  async collect(options) {
    const results = await Promise.all([...producers].map((producer) => producer.collect(options)));
    return {
      resourceMetrics: {
        resource: emptyResource(), // the reader keeps the SDK's resource
        scopeMetrics: results.flatMap((result) => result.resourceMetrics.scopeMetrics),
      },
      errors: results.flatMap((result) => result.errors),
    };
  },
};

/**
 * Adds metrics this process keeps outside the SDK's instruments to every render, as an
 * OpenTelemetry MetricProducer (metrics SDK specification, "MetricProducer"): for series whose
 * owner decides when they are forgotten, which a cumulative SDK instrument never does. Works
 * before or after initTelemetry. Returns what removes the producer again.
 */
export function registerMetricProducer(producer: MetricProducer): () => void {
  producers.add(producer);
  return () => producers.delete(producer);
}

const serializer = new PrometheusSerializer();
let rendering: Promise<string> | undefined;

/**
 * Every metric of this process in the Prometheus text format. Scrapes that arrive while a render
 * runs share it, so a flood of requests to the public route costs one render at a time. The
 * exporter's own request handler serializes inside a promise callback it never catches, so a text
 * too large for one string (RangeError) ended the process; here it rejects like any other failure.
 * @throws Error when the metrics cannot be collected or rendered, or initTelemetry has not run
 */
export function renderMetrics(): Promise<string> {
  rendering ??= render().finally(() => (rendering = undefined));
  return rendering;
}

async function render(): Promise<string> {
  if (!exporter) throw new Error('renderMetrics: initTelemetry has not run in this process');
  const { resourceMetrics } = await exporter.collect();
  return serializer.serialize(resourceMetrics);
}
