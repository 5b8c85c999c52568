// Gateway -> NATS -> executor -> the plugin's sandbox process -> reply, against two baselines
// measured in the same run: a bare NATS request/reply echo, and the bare path (lib/bare-path):
// the same processes and hops with none of the platform's code on them, which says what the
// path itself costs on the box of the day. Both with CLIENTS concurrent clients (throughput) and
// with one client (the latency of a lone call). The platform and the bare path run side by side
// and are loaded in turns, round after round, so that other work on the shared machine falls on
// both alike. A bare HTTP echo, with the same client, shows what the client and HTTP alone cost.
// Throughputs are the median of BENCH_ROUNDS rounds (5) of BENCH_REQUESTS calls (3000).
//
// The load generator shares the machine (2 cores) with the platform, so what it spends per
// request is taken from the platform's figures. It is undici's connection pool (`Pool.request`,
// one keep-alive connection per client): about 65 µs of CPU per request under 50 clients here,
// against about 125 µs for Node's http client and some 300 µs more for fetch.
// BENCH_HTTP_CLIENT=http or =fetch measures with those instead.
//
// The CPU each process spends per invoke (gateway, executor, the plugin's sandbox process, the
// client) is read from /proc over the 50-client rounds and over the one-client turns.
// BENCH_CPU_PROF_DIR=<folder> has the gateway and the executor write V8 CPU profiles there
// (node --cpu-prof) when the platform stops: for a profiling run only, the profiler slows them.
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
const SOLO_TURNS = 10;
const HTTP_CLIENT = process.env.BENCH_HTTP_CLIENT ?? 'undici';
const PROFILE_DIR = process.env.BENCH_CPU_PROF_DIR;
const GREET = JSON.stringify({ function: 'greet', input: { name: 'Ada' } });

/**
 * `post()` POSTs `body` to `url` and resolves when the whole answer is in; it rejects on any
 * status but 200. `close()` lets the client's connections go.
 */
function poster(url, headers, body) {
  if (HTTP_CLIENT === 'fetch')
    return {
      post: async () => {
        const res = await fetch(url, { method: 'POST', headers, body });
        if (res.status !== 200) throw new Error(`POST failed: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      },
      close: async () => {},
    };
  if (HTTP_CLIENT === 'undici') {
    const { origin, pathname } = new URL(url);
    const pool = new Pool(origin, { connections: CLIENTS });
    return {
      post: async () => {
        const res = await pool.request({ path: pathname, method: 'POST', headers, body });
        if (res.statusCode !== 200)
          throw new Error(`POST failed: ${res.statusCode} ${await res.body.text()}`);
        await res.body.dump();
      },
      close: () => pool.close(),
    };
  }
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const options = {
    method: 'POST',
    agent,
    headers: { ...headers, 'Content-Length': Buffer.byteLength(body) },
  };
  const post = () =>
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
  return { post, close: async () => agent.destroy() };
}

/**
 * One round: `requests` calls of `one` from `clients` concurrent clients. Resolves to their
 * latencies (ms) and the round's throughput (calls/s).
 */
async function round(one, clients, requests) {
  const latencies = [];
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
  return { latencies, throughput: requests / ((performance.now() - started) / 1000) };
}

/**
 * p50 and p99 of the latencies of all `rounds`, and their median throughput (one round of 3000
 * calls lasts about a second here, which a burst of other work on the shared machine can halve).
 */
function summary(rounds) {
  const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const throughputs = rounds.map((r) => r.throughput).sort((a, b) => a - b);
  return {
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    throughput: quantile(throughputs, 0.5),
  };
}

/** `rounds` rounds of `one` (see {@link round}), summed up. */
async function load(one, clients = CLIENTS, requests = REQUESTS, rounds = ROUNDS) {
  const done = [];
  for (let i = 0; i < rounds; i++) done.push(await round(one, clients, requests));
  return summary(done);
}

async function natsEcho() {
  const nc = await connect({ servers: TEST_NATS_URL });
  const subject = `bench.echo.${process.pid}`;
  nc.subscribe(subject, { queue: 'echo', callback: (_e, m) => m.respond(m.data) });
  const echo = () => nc.request(subject, GREET, { timeout: 10_000 });
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
  const client = poster(
    `http://127.0.0.1:${server.address().port}/`,
    { 'Content-Type': 'application/json' },
    GREET,
  );
  try {
    await load(client.post, CLIENTS, REQUESTS, 1); // warm-up
    return { many: await load(client.post), solo: await load(client.post, 1, SOLO_REQUESTS, 1) };
  } finally {
    await client.close();
    server.closeAllConnections();
    server.close();
  }
}

/**
 * Loads invoke paths in turns, so that a burst of other work on the shared machine falls on each
 * alike: after a warm-up round of each, ROUNDS rounds of REQUESTS calls from CLIENTS clients and
 * SOLO_TURNS turns of one client's calls (SOLO_REQUESTS in all), the paths in one order, then
 * the other. `paths` maps a name to `{ post, pids }`; the result maps it to `many` and `solo`
 * (see {@link summary}) and `cpu` and `soloCpu`: the CPU each of its `pids` and this process
 * (`client`) spent per call (µs).
 */
async function inTurns(paths) {
  const tallies = Object.entries(paths).map(([name, { post, pids }]) => ({
    name,
    post,
    pids: { ...pids, client: process.pid },
    many: { rounds: [], cpu: {} },
    solo: { rounds: [], cpu: {} },
  }));
  const turn = async (tally, clients, requests, figures) => {
    const before = Object.entries(tally.pids).map(([name, pid]) => [name, pid, cpuMicros(pid)]);
    figures.rounds.push(await round(tally.post, clients, requests));
    for (const [name, pid, micros] of before)
      figures.cpu[name] = (figures.cpu[name] ?? 0) + cpuMicros(pid) - micros;
  };
  const inOrder = (i) => (i % 2 === 0 ? tallies : [...tallies].reverse());
  for (const tally of tallies) await round(tally.post, CLIENTS, REQUESTS); // warm-up
  for (let i = 0; i < ROUNDS; i++)
    for (const tally of inOrder(i)) await turn(tally, CLIENTS, REQUESTS, tally.many);
  const soloTurn = Math.ceil(SOLO_REQUESTS / SOLO_TURNS);
  for (let i = 0; i < SOLO_TURNS; i++)
    for (const tally of inOrder(i)) await turn(tally, 1, soloTurn, tally.solo);
  const perCall = ({ rounds, cpu }) => {
    const calls = rounds.reduce((sum, r) => sum + r.latencies.length, 0);
    return Object.fromEntries(Object.entries(cpu).map(([name, micros]) => [name, micros / calls]));
  };
  return Object.fromEntries(
    tallies.map((tally) => [
      tally.name,
      {
        many: summary(tally.many.rounds),
        solo: summary(tally.solo.rounds),
        cpu: perCall(tally.many),
        soloCpu: perCall(tally.solo),
      },
    ]),
  );
}

/**
 * The platform with greet loaded, and the same path with none of the platform's code on it
 * (lib/bare-path), both running: loads them in turns (see {@link inTurns}).
 */
async function invokePaths() {
  const profiled = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const { info, stop, pid } = await startPlatform({}, {}, undefined, undefined, {
    gateway: profiled,
    executor: profiled,
  });
  const clients = [];
  let bare;
  try {
    bare = await startBarePath(TEST_NATS_URL);
    const auth = { Authorization: `Bearer ${info.adminKey}` };
    await loadGreet(info, auth);
    const [sandbox] = childPids(pid('executor'));
    const json = { 'Content-Type': 'application/json' };
    const e2e = poster(
      `${info.gatewayUrl}/v1/plugins/bench.greet/invoke`,
      { ...auth, ...json },
      GREET,
    );
    const barePost = poster(bare.url, json, GREET);
    clients.push(e2e, barePost);
    return await inTurns({
      e2e: {
        post: e2e.post,
        pids: { gateway: pid('gateway'), executor: pid('executor'), sandbox },
      },
      bare: { post: barePost.post, pids: bare.pids },
    });
  } finally {
    const stopped = await Promise.allSettled([
      ...clients.map((c) => c.close()),
      bare?.stop(),
      stop(),
    ]);
    const failed = stopped.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/** Submits the greet example as `bench.greet` 1.0.0 and waits until the executor loaded it. */
async function loadGreet(info, auth) {
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
}

export async function run() {
  const echo = await natsEcho();
  const http = await httpEcho();
  const { e2e, bare } = await invokePaths();
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
