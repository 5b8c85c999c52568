// Instances per plugin: what a pool of two buys one busy plugin, and what a flooded plugin costs
// another one (its fair share), each against a baseline in the same run.
import { exampleModule } from '../libs/testing/dist/index.js';
import { median, quantile } from './lib/stats.mjs';
import { record } from './lib/results.mjs';
import { benchRuntime, sha, spec } from './lib/runtime.mjs';

const empty = new Uint8Array(0);
const bench = new Uint8Array(exampleModule('bench.wasm'));
const CALLERS = 8;

/** Calls/s of `fn` on `plugin` with CALLERS concurrent callers for `calls` calls. */
async function throughput(plugin, fn, calls) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (next++ < calls) await plugin.call(fn, empty);
    }),
  );
  return calls / ((performance.now() - started) / 1000);
}

/** Median and p99 latency (ms) of `iterations` sequential calls of `fn`. */
async function latency(plugin, fn, iterations) {
  const runs = [];
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    await plugin.call(fn, empty);
    runs.push(performance.now() - t);
  }
  runs.sort((a, b) => a - b);
  return { p50: median(runs), p99: quantile(runs, 0.99) };
}

/** Keeps `plugin` busy with CALLERS concurrent CPU-bound calls; `stop()` answers how many ran. */
function flood(plugin) {
  let running = true;
  let calls = 0;
  const callers = Array.from({ length: CALLERS }, async () => {
    while (running) {
      await plugin.call('cpu_loop', empty);
      calls++;
    }
  });
  return async () => {
    running = false;
    await Promise.all(callers);
    return calls;
  };
}

export async function run() {
  const single = benchRuntime({ instancesPerPlugin: 1 });
  const pooled = benchRuntime({ instancesPerPlugin: 2 });
  const one = await single.load(bench, sha(bench), spec('one-instance'));
  const two = await pooled.load(bench, sha(bench), spec('two-instances'));
  await throughput(one, 'cpu_loop', 20); // warm-up, and the pool grows
  await throughput(two, 'cpu_loop', 20);
  const rates = { one: [], two: [] };
  for (let round = 0; round < 3; round++) {
    rates.one.push(await throughput(one, 'cpu_loop', 120));
    rates.two.push(await throughput(two, 'cpu_loop', 120));
  }
  const oneRate = median(rates.one.sort((a, b) => a - b));
  const twoRate = median(rates.two.sort((a, b) => a - b));
  record('cpu_loop_throughput_1_instance', oneRate, 'calls/s');
  record('cpu_loop_throughput_2_instances', twoRate, 'calls/s');
  record('pool_2_vs_1_instance_throughput_ratio', twoRate / oneRate, 'x');

  // A bystander's calls, alone and while another plugin is flooded with CPU-bound calls: the
  // flooded plugin holds at most its two instances, so the bystander keeps a share of the CPU.
  const bystander = await pooled.load(bench, sha(bench), spec('bystander'));
  const measure = async () => ({
    noop: await latency(bystander, 'noop', 400),
    cpu: await latency(bystander, 'cpu_loop', 80),
  });
  await measure();
  const alone = await measure();
  const stop = flood(two);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const started = performance.now();
  const flooded = await measure();
  const floodRate = (await stop()) / ((performance.now() - started) / 1000);
  record('flooded_plugin_throughput_meanwhile', floodRate, 'calls/s');
  record('bystander_noop_alone_p50', alone.noop.p50 * 1000, 'us');
  record('bystander_noop_flooded_p50', flooded.noop.p50 * 1000, 'us');
  record('bystander_noop_flooded_p99', flooded.noop.p99 * 1000, 'us');
  record('bystander_cpu_loop_alone_p50', alone.cpu.p50, 'ms');
  record('bystander_cpu_loop_flooded_p50', flooded.cpu.p50, 'ms');
  record('fair_share_cpu_latency_ratio', flooded.cpu.p50 / alone.cpu.p50, 'x');

  await Promise.all([one, two, bystander].map((p) => p.close()));
}
