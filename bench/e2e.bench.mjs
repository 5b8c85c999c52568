// Gateway -> NATS -> executor -> reply, against a bare NATS request/reply echo in the same run.
import { connect } from '@nats-io/transport-node';
import {
  aManifest,
  createPublisherKey,
  exampleModule,
  expectEventually,
  startPlatform,
  TEST_NATS_URL,
} from '../libs/testing/dist/index.js';
import { quantile } from './lib/stats.mjs';
import { record } from './lib/results.mjs';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);

/** Runs `REQUESTS` calls of `one` from `CLIENTS` concurrent clients; latencies in ms and throughput. */
async function load(one) {
  const latencies = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next++ < REQUESTS) {
        const t = performance.now();
        await one();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    throughput: latencies.length / seconds,
  };
}

async function natsEcho() {
  const nc = await connect({ servers: TEST_NATS_URL });
  const subject = `bench.echo.${process.pid}`;
  nc.subscribe(subject, { queue: 'echo', callback: (_e, m) => m.respond(m.data) });
  const payload = JSON.stringify({ function: 'greet', input: { name: 'Ada' } });
  await load(() => nc.request(subject, payload, { timeout: 10_000 })); // warm-up
  const result = await load(() => nc.request(subject, payload, { timeout: 10_000 }));
  await nc.close();
  return result;
}

async function gatewayPath() {
  const { info, stop } = await startPlatform();
  try {
    const auth = { Authorization: `Bearer ${info.adminKey}` };
    const publisher = await createPublisherKey(info.gatewayUrl, info.adminKey, 'bench');
    const module = exampleModule('greet.wasm');
    const form = new FormData();
    form.append(
      'manifest',
      new Blob([JSON.stringify(aManifest({ id: 'bench.greet' }, module))]),
      'plugin.json',
    );
    form.append('module', new Blob([module]), 'greet.wasm');
    const submitted = await fetch(`${info.gatewayUrl}/v1/plugins`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${publisher}` },
      body: form,
    });
    if (submitted.status !== 202)
      throw new Error(`submit failed: ${submitted.status} ${await submitted.text()}`);
    await expectEventually(
      async () => {
        const state = await (
          await fetch(`${info.gatewayUrl}/v1/plugins/bench.greet/versions/1.0.0`, { headers: auth })
        ).json();
        if (!state.loaded) throw new Error('not loaded yet');
      },
      { timeoutMs: 30_000 },
    );
    const body = JSON.stringify({ function: 'greet', input: { name: 'Ada' } });
    const invoke = async () => {
      const res = await fetch(`${info.gatewayUrl}/v1/plugins/bench.greet/invoke`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body,
      });
      if (res.status !== 200) throw new Error(`invoke failed: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    };
    await load(invoke); // warm-up
    return await load(invoke);
  } finally {
    await stop();
  }
}

export async function run() {
  const echo = await natsEcho();
  const e2e = await gatewayPath();
  record('e2e_invoke_p50', e2e.p50, 'ms');
  record('e2e_invoke_p99', e2e.p99, 'ms');
  record('e2e_invoke_throughput', e2e.throughput, 'req/s');
  record('nats_echo_p50', echo.p50, 'ms');
  record('nats_echo_throughput', echo.throughput, 'req/s');
  record('e2e_vs_nats_echo_ratio', e2e.p50 / echo.p50, 'x');
}
