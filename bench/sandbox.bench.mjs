// The executor's sandbox path (own worker thread, fuel, limits, the real host functions) against
// bare Extism in the same run.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import createPlugin from '@extism/extism';
import wabtInit from 'wabt';
import { instrumentFuel, SandboxRuntime } from '../libs/sandbox/dist/index.js';
import { mainThreadOps } from '../libs/host-calls/dist/index.js';
import { exampleModule } from '../libs/testing/dist/index.js';
import { compare, median, sample } from './lib/stats.mjs';
import { record } from './lib/results.mjs';

const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');
const empty = new Uint8Array(0);
const bench = new Uint8Array(exampleModule('bench.wasm'));
const hostFunctions = pathToFileURL(
  createRequire(import.meta.url).resolve('@convergio/host-calls'),
);

const runtime = new SandboxRuntime({
  hostFunctionsModule: hostFunctions,
  mainThreadOps,
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
    logLinesPerSecond: 1_000_000,
  },
  defaults: {
    wallTimeMs: 10_000,
    fuel: 1e12,
    maxMemoryPages: 1024,
    maxHostCalls: 10_000,
    maxOutputBytes: 1 << 20,
  },
  logger: { warn: () => {}, error: console.error, log: () => {} },
});
const spec = (id) => ({ identity: { id, version: '1.0.0', trust: 'untrusted' }, grants: {} });

/** Bare Extism with an unchecked `log` host function, called and reset the way the SDK must be used. */
async function bareExtism(runInWorker) {
  const plugin = await createPlugin(
    { wasm: [{ data: bench }] },
    {
      useWasi: false,
      runInWorker,
      functions: { 'extism:host/user': { log: (cp) => cp.store('{"ok":true}') } },
    },
  );
  return {
    call: async (fn) => {
      await plugin.call(fn, empty);
      await plugin.reset();
    },
    close: () => plugin.close(),
  };
}

/** A plugin with a 1 MiB data segment, to see what compiling and instrumenting cost. */
async function oneMiBModule() {
  const wabt = await wabtInit();
  const data = '\\00'.repeat(1024 * 1024);
  const wat = `(module (memory (export "memory") 17) (data (i32.const 0) "${data}") (func (export "noop") (result i32) (i32.const 0)))`;
  return new Uint8Array(wabt.parseWat('big.wat', wat).toBinary({}).buffer);
}

export async function run() {
  const sandbox = await runtime.load(bench, sha(bench), spec('bench'));
  const inline = await bareExtism(false);
  const worker = await bareExtism(true);

  const noop = await compare(
    () => sandbox.call('noop', empty),
    () => worker.call('noop'),
    { iterations: 1000 },
  );
  const noopInline = median(await sample(() => inline.call('noop'), { iterations: 5000 }));
  record('sandbox_noop_call', noop.a, 'us');
  record('extism_worker_noop_call', noop.b, 'us');
  record('extism_inline_noop_call', noopInline, 'us');
  record('noop_vs_extism_worker_ratio', noop.a / noop.b, 'x');
  record('noop_vs_extism_inline_ratio', noop.a / noopInline, 'x');

  const hosts = await compare(
    () => sandbox.call('hostcalls100', empty),
    () => worker.call('hostcalls100'),
    { rounds: 3, iterations: 30, warmup: 5 },
  );
  record('sandbox_hostcalls100_call', hosts.a, 'us');
  record('extism_worker_hostcalls100_call', hosts.b, 'us');
  record('hostcalls100_vs_extism_worker_ratio', hosts.a / hosts.b, 'x');

  // CPU limit on (fuel-instrumented, in the sandbox) vs off (the same module, bare inline Extism).
  const cpu = await compare(
    () => sandbox.call('cpu_loop', empty),
    () => inline.call('cpu_loop'),
    { rounds: 3, iterations: 15, warmup: 2 },
  );
  record('cpu_loop_fuel_on', cpu.a / 1000, 'ms');
  record('cpu_loop_fuel_off', cpu.b / 1000, 'ms');
  record('fuel_overhead_ratio', cpu.a / cpu.b, 'x');
  // The tight loop above is the worst case (two instructions per iteration); CRC-32 is a typical one.
  const crc = await compare(
    () => sandbox.call('crc32_1mib', empty),
    () => inline.call('crc32_1mib'),
    { rounds: 3, iterations: 15, warmup: 2 },
  );
  record('crc32_fuel_on', crc.a / 1000, 'ms');
  record('crc32_fuel_off', crc.b / 1000, 'ms');
  record('fuel_overhead_crc32_ratio', crc.a / crc.b, 'x');

  const big = await oneMiBModule();
  const cold = await runtime.load(big, sha(big), spec('big-cold'));
  const warm = await runtime.load(big, sha(big), spec('big-warm'));
  record('load_1mib_cold', cold.loadMs, 'ms');
  record('load_1mib_warm', warm.loadMs, 'ms');
  record('load_1mib_cold_vs_warm_ratio', cold.loadMs / warm.loadMs, 'x');
  const instrument = median(await sample(() => instrumentFuel(big), { warmup: 5, iterations: 50 }));
  record('instrument_1mib', instrument / 1000, 'ms');

  const idle = [];
  global.gc?.();
  const before = process.memoryUsage().rss;
  for (let i = 0; i < 10; i++) idle.push(await runtime.load(bench, sha(bench), spec(`idle-${i}`)));
  await new Promise((r) => setTimeout(r, 500));
  record(
    'idle_plugin_memory',
    (process.memoryUsage().rss - before) / idle.length / (1024 * 1024),
    'MiB',
  );

  await Promise.all([sandbox, cold, warm, ...idle].map((p) => p.close()));
  await Promise.all([inline.close(), worker.close()]);
}
