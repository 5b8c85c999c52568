// Gateway -> NATS -> executor -> reply, against a bare NATS request/reply echo in the same run:
// with CLIENTS concurrent clients (throughput) and with one client (the latency of a lone call).
// A bare HTTP echo, with the same client, shows what the client and HTTP alone cost.
// Throughputs are the median of BENCH_ROUNDS rounds (5) of BENCH_REQUESTS calls (3000).
//
// The load generator shares the machine (2 cores) with the platform, so what it spends per
// request is taken from the platform's figures. It is undici's connection pool (`Pool.request`,
// one keep-alive connection per client): about 65 µs of CPU per request under 50 clients here,
// against about 125 µs for Node's http client and some 300 µs more for fetch.
// BENCH_HTTP_CLIENT=http or =fetch measures with those instead.
//
// The CPU each process spends per invoke (gateway, executor, the plugin's sandbox process) is
// read from /proc over the 50-client run and over the one-client run. BENCH_CPU_PROF_DIR=<folder> has the gateway and the
// executor write V8 CPU profiles there (node --cpu-prof) when the platform stops: for a
// profiling run only, the profiler slows them.
import { Agent, createServer, request } from 'node:http';
import { Pool } from 'undici';
import { connect } from '@nats-io/transport-node';
import {
  aManifest,
  createPublisherKey,
  exampleModule,
  expectEventually,
  startPlatform,
  TEST_NATS_URL,
} from '../libs/testing/dist/index.js';
import { startBarePath } from './lib/bare-path/index.mjs';
import { childPids, cpuMicros } from './lib/process-cpu.mjs';
import { quantile } from './lib/stats.mjs';
import { record } from './lib/results.mjs';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const SOLO_REQUESTS = Number(process.env.BENCH_SOLO_REQUESTS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const HTTP_CLIENT = process.env.BENCH_HTTP_CLIENT ?? 'undici';
const PROFILE_DIR = process.env.BENCH_CPU_PROF_DIR;

/**
 * A function that POSTs `body` to `url` and resolves when the whole answer is in; it rejects
 * on any status but 200.
 */
function poster(url, headers, body) {
  if (HTTP_CLIENT === 'fetch')
    return async () => {
      const res = await fetch(url, { method: 'POST', headers, body });
      if (res.status !== 200) throw new Error(`POST failed: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    };
  if (HTTP_CLIENT === 'undici') {
    const { origin, pathname } = new URL(url);
    const pool = new Pool(origin, { connections: CLIENTS });
    return async () => {
      const res = await pool.request({ path: pathname, method: 'POST', headers, body });
      if (res.statusCode !== 200)
        throw new Error(`POST failed: ${res.statusCode} ${await res.body.text()}`);
      await res.body.dump();
    };
  }
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const options = {
    method: 'POST',
    agent,
    headers: { ...headers, 'Content-Length': Buffer.byteLength(body) },
  };
  return () =>
    new Promise((resolve, reject) => {
      const req = request(url, options, (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve()
            : reject(new Error(`POST failed: ${res.statusCode} ${Buffer.concat(chunks)}`)),
        );
      });
      req.on('error', reject);
      req.end(body);
    });
}

/**
 * Runs `requests` calls of `one` from `clients` concurrent clients, `rounds` times; latencies in
 * ms over all rounds, and the median round's throughput (one round of 3000 calls lasts about a
 * second here, which a burst of other work on the shared machine can halve).
 */
async function load(one, clients = CLIENTS, requests = REQUESTS, rounds = ROUNDS) {
  const latencies = [];
  const throughputs = [];
  for (let round = 0; round < rounds; round++) {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (next++ < requests) {
          const t = performance.now();
          await one();
          latencies.push(performance.now() - t);
        }
      }),
    );
    throughputs.push(requests / ((performance.now() - started) / 1000));
  }
  latencies.sort((a, b) => a - b);
  throughputs.sort((a, b) => a - b);
  return {
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    throughput: quantile(throughputs, 0.5),
  };
}

async function natsEcho() {
  const nc = await connect({ servers: TEST_NATS_URL });
  const subject = `bench.echo.${process.pid}`;
  nc.subscribe(subject, { queue: 'echo', callback: (_e, m) => m.respond(m.data) });
  const payload = JSON.stringify({ function: 'greet', input: { name: 'Ada' } });
  const echo = () => nc.request(subject, payload, { timeout: 10_000 });
  await load(echo, CLIENTS, REQUESTS, 1); // warm-up
  const result = { many: await load(echo), solo: await load(echo, 1, SOLO_REQUESTS, 1) };
  await nc.close();
  return result;
}

/** A bare HTTP server answering each POST with a small JSON body, through the bench's client. */
async function httpEcho() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json');
      res.end('{"output":{"greeting":"Hello, Ada!"}}\n');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const echo = poster(
      `http://127.0.0.1:${server.address().port}/`,
      { 'Content-Type': 'application/json' },
      JSON.stringify({ function: 'greet', input: { name: 'Ada' } }),
    );
    await load(echo, CLIENTS, REQUESTS, 1); // warm-up
    return { many: await load(echo), solo: await load(echo, 1, SOLO_REQUESTS, 1) };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

/** Runs `work`; returns the CPU each of `pids` spent meanwhile, per one of `count` requests (µs). */
async function cpuPer(count, pids, work) {
  const before = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, cpuMicros(pid)]),
  );
  const result = await work();
  const cpu = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, (cpuMicros(pid) - before[name]) / count]),
  );
  return { result, cpu };
}

/**
 * The 50-client and one-client loads of greet requests POSTed to `url`, after a warm-up, with the
 * CPU each of `pids` and this process (the client) spent per request in each.
 */
async function loadPath(url, headers, pids) {
  const body = JSON.stringify({ function: 'greet', input: { name: 'Ada' } });
  const invoke = poster(url, headers, body);
  await load(invoke, CLIENTS, REQUESTS, 1); // warm-up
  const measured = { ...pids, client: process.pid };
  const many = await cpuPer(REQUESTS * ROUNDS, measured, () => load(invoke));
  const solo = await cpuPer(SOLO_REQUESTS, measured, () => load(invoke, 1, SOLO_REQUESTS, 1));
  return { many: many.result, cpu: many.cpu, solo: solo.result, soloCpu: solo.cpu };
}

/** The same path with none of the platform's code on it (lib/bare-path). */
async function barePath() {
  const bare = await startBarePath(TEST_NATS_URL);
  try {
    return await loadPath(bare.url, { 'Content-Type': 'application/json' }, bare.pids);
  } finally {
    await bare.stop();
  }
}

async function gatewayPath() {
  const profiled = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const { info, stop, pid } = await startPlatform({}, {}, undefined, undefined, {
    gateway: profiled,
    executor: profiled,
  });
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
    const [sandbox] = childPids(pid('executor'));
    return await loadPath(
      `${info.gatewayUrl}/v1/plugins/bench.greet/invoke`,
      { ...auth, 'Content-Type': 'application/json' },
      { gateway: pid('gateway'), executor: pid('executor'), sandbox },
    );
  } finally {
    await stop();
  }
}

export async function run() {
  const echo = await natsEcho();
  const http = await httpEcho();
  const bare = await barePath();
  const e2e = await gatewayPath();
  record('e2e_invoke_p50', e2e.many.p50, 'ms');
  record('e2e_invoke_p99', e2e.many.p99, 'ms');
  record('e2e_invoke_throughput', e2e.many.throughput, 'req/s');
  record('nats_echo_p50', echo.many.p50, 'ms');
  record('nats_echo_throughput', echo.many.throughput, 'req/s');
  record('e2e_vs_nats_echo_ratio', e2e.many.p50 / echo.many.p50, 'x');
  record('e2e_vs_nats_echo_throughput_ratio', e2e.many.throughput / echo.many.throughput, 'x');
  record('e2e_invoke_p50_1_client', e2e.solo.p50, 'ms');
  record('e2e_invoke_p99_1_client', e2e.solo.p99, 'ms');
  record('nats_echo_p50_1_client', echo.solo.p50, 'ms');
  record('e2e_vs_nats_echo_1_client_ratio', e2e.solo.p50 / echo.solo.p50, 'x');
  record('http_echo_p50_1_client', http.solo.p50, 'ms');
  record('http_echo_throughput', http.many.throughput, 'req/s');
  record('bare_path_p50_1_client', bare.solo.p50, 'ms');
  record('bare_path_throughput', bare.many.throughput, 'req/s');
  record('e2e_vs_bare_path_1_client_ratio', e2e.solo.p50 / bare.solo.p50, 'x');
  record('e2e_vs_bare_path_throughput_ratio', e2e.many.throughput / bare.many.throughput, 'x');
  for (const [path, figures] of [
    ['e2e', e2e],
    ['bare_path', bare],
  ]) {
    for (const [name, micros] of Object.entries(figures.cpu))
      record(`${path}_${name}_cpu_per_invoke`, micros, 'us');
    for (const [name, micros] of Object.entries(figures.soloCpu))
      record(`${path}_${name}_cpu_per_invoke_1_client`, micros, 'us');
  }
}
