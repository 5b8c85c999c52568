// Sandbox benchmarks against bare Extism in the same run. Needs `npx tsc -b tsconfig.lib.json`.
// Usage: node libs/sandbox/bench/sandbox.bench.mjs
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import createPlugin from '@extism/extism';
import wabtInit from 'wabt';
import { SandboxRuntime } from '../dist/index.js';
import { BenchReport, medianMs } from './measure.mjs';

const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');
const wabt = await wabtInit();
const BENCH_WAT = `(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/user" "echo_host" (func $echo_host (param i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "noop") (result i32) (i32.const 0))
  (func (export "host100") (result i32) (local $in i64) (local $i i32)
    (local.set $in (call $alloc (i64.const 2)))
    (call $store_u8 (local.get $in) (i32.const 0x31))
    (call $store_u8 (i64.add (local.get $in) (i64.const 1)) (i32.const 0x32))
    (loop $next (drop (call $echo_host (local.get $in)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 100))))
    (i32.const 0))
  (func (export "burn") (result i32) (local $i i32)
    (loop $next (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 100000000))))
    (i32.const 0)))`;
const benchWasm = new Uint8Array(wabt.parseWat('bench.wat', BENCH_WAT).toBinary({}).buffer);
const greetWasm = new Uint8Array(
  readFileSync(new URL('../../../examples/greet-plugin/build/greet.wasm', import.meta.url)),
);

const report = new BenchReport();
const empty = new Uint8Array(0);
const runtime = new SandboxRuntime({
  hostFunctionsModule: new URL('./bench-host-functions.mjs', import.meta.url),
  policy: {
    allowPrivateNetworks: false,
    maxFileBytes: 1 << 20,
    maxHttpRequestBytes: 1 << 20,
    maxHttpResponseBytes: 1 << 20,
    httpTimeoutMs: 5000,
    maxWebSocketMessageBytes: 1 << 16,
    maxProcOutputBytes: 1 << 16,
    procTimeoutMs: 5000,
    maxLogBytes: 4096,
    logLinesPerSecond: 100,
  },
  defaults: {
    wallTimeMs: 10_000,
    fuel: 1e13,
    maxMemoryPages: 256,
    maxHostCalls: 10_000,
    maxOutputBytes: 1 << 20,
  },
});
const spec = { identity: { id: 'bench', version: '1.0.0', trust: 'untrusted' }, grants: {} };

// Cold load: compile + instrument + worker start; warm: cached module, worker start only.
const cold = await runtime.load(greetWasm, sha(greetWasm), spec);
const warm = await runtime.load(greetWasm, sha(greetWasm), spec);
report.record('sandbox_load_cold_greet', cold.loadMs, 'ms');
report.record('sandbox_load_warm_greet', warm.loadMs, 'ms');
await Promise.all([cold.close(), warm.close()]);

// A second cold load no longer pays for loading binaryen itself.
const sandbox = await runtime.load(benchWasm, sha(benchWasm), spec);
report.record('sandbox_load_cold_small_module', sandbox.loadMs, 'ms');
const echoHost = (cp, off) => cp.store(cp.read(off).text());
const bare = async (runInWorker) =>
  createPlugin(
    { wasm: [{ data: benchWasm }] },
    {
      useWasi: false,
      runInWorker,
      functions: { 'extism:host/user': { echo_host: echoHost } },
    },
  );
const bareInline = await bare(false);
const bareWorker = await bare(true);
const callBare = (plugin, fn) => async () => {
  await plugin.call(fn, empty);
  await plugin.reset();
};

const noopSandbox = await medianMs(() => sandbox.call('noop', empty), { runs: 2000 });
const noopWorker = await medianMs(callBare(bareWorker, 'noop'), { runs: 2000 });
const noopInline = await medianMs(callBare(bareInline, 'noop'), { runs: 2000 });
report.record('sandbox_noop_call', noopSandbox * 1000, 'us');
report.record('extism_worker_noop_call', noopWorker * 1000, 'us');
report.record('extism_inline_noop_call', noopInline * 1000, 'us');
report.ratio('sandbox_vs_extism_worker_noop', noopSandbox, noopWorker);

const hostSandbox = await medianMs(() => sandbox.call('host100', empty), { runs: 300 });
const hostWorker = await medianMs(callBare(bareWorker, 'host100'), { runs: 40, warmup: 3 });
report.record('sandbox_100_host_calls', hostSandbox * 1000, 'us');
report.record('extism_worker_100_host_calls', hostWorker * 1000, 'us');
report.ratio('sandbox_vs_extism_worker_100_host_calls', hostSandbox, hostWorker);

const burnSandbox = await medianMs(() => sandbox.call('burn', empty), { runs: 15, warmup: 2 });
const burnInline = await medianMs(callBare(bareInline, 'burn'), { runs: 15, warmup: 2 });
report.record('sandbox_burn_1e8_loop_fuel_on', burnSandbox, 'ms');
report.record('extism_inline_burn_1e8_loop_no_fuel', burnInline, 'ms');
report.ratio('fuel_overhead_tight_loop', burnSandbox, burnInline);

// Timeout recovery: terminate + eager respawn, observed as the wait before the next call answers.
const spinner = await runtime.load(benchWasm, sha(benchWasm), {
  ...spec,
  limits: { wallTimeMs: 50, fuel: 1e13 },
});
const recoveries = [];
for (let i = 0; i < 10; i++) {
  await spinner.call('burn', empty).catch(() => undefined); // 1e8 turns take longer than 50 ms
  const started = performance.now();
  await spinner.call('noop', empty);
  recoveries.push(performance.now() - started);
}
recoveries.sort((a, b) => a - b);
report.record('sandbox_timeout_recovery', recoveries[5], 'ms');

await Promise.all([sandbox.close(), spinner.close(), bareInline.close(), bareWorker.close()]);
if (process.argv.includes('--json')) console.log(JSON.stringify(report.results));
