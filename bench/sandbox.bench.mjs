// The executor's sandbox path (own worker thread, fuel, limits, the real host functions) against
// bare Extism in the same run.
import createPlugin from '@extism/extism';
import wabtInit from 'wabt';
import { instrumentFuel } from '../libs/sandbox/dist/index.js';
import { exampleModule } from '../libs/testing/dist/index.js';
import { echoChild } from './lib/echo.mjs';
import { compare, median, sample } from './lib/stats.mjs';
import { record } from './lib/results.mjs';
import { benchRuntime, sha, spec, threadRuntime, treeRss } from './lib/runtime.mjs';

const empty = new Uint8Array(0);
const bench = new Uint8Array(exampleModule('bench.wasm'));
const runtime = benchRuntime();
const WARM_CALLS = 3000;

/**
 * Bare Extism with an unchecked `log` host function, called and reset the way the SDK must be
 * used. With `metered`, the module is fuel-instrumented and each call gets an ample budget: the
 * CPU limit on, and nothing else of the sandbox.
 */
async function bareExtism(runInWorker, { metered = false } = {}) {
  const plugin = await createPlugin(
    { wasm: [{ data: metered ? instrumentFuel(bench) : bench }] },
    {
      useWasi: false,
      runInWorker,
      functions: { 'extism:host/user': { log: (cp) => cp.store('{"ok":true}') } },
    },
  );
  const exports = metered ? (await plugin.getInstance()).exports : {};
  const refuel = () => {
    if (metered) exports.__convergio_fuel.value = 1n << 50n;
  };
  refuel();
  exports.__convergio_start?.();
  return {
    call: async (fn) => {
      refuel();
      await plugin.call(fn, empty);
      await plugin.reset();
    },
    close: () => plugin.close(),
  };
}

/**
 * A plugin of about 1 MiB of code (1300 functions, each a loop and 100 statements), to see what
 * instrumenting and compiling cost; `seed` makes each one a distinct module.
 */
async function oneMiBModule(seed) {
  const wabt = await wabtInit();
  const statements = Array.from(
    { length: 100 },
    (_, i) => `(local.set 1 (i32.xor (local.get 1) (i32.const ${seed + i})))`,
  ).join('');
  const functions = Array.from(
    { length: 1300 },
    (_, i) => `(func $f${i} (export "f${i}") (param i32) (result i32) (local i32)
      (loop $l (local.set 1 (i32.add (local.get 1) (i32.const 3)))
        (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
      ${statements} (local.get 1))`,
  ).join('\n');
  const wat = `(module (memory (export "memory") 1) ${functions})`;
  return new Uint8Array(wabt.parseWat('big.wat', wat).toBinary({}).buffer);
}

/**
 * Runs `fn` on both runtimes `calls` times, alternating. A fresh runtime's calls get faster for
 * its first few thousand: V8 optimizes the call path on background threads, which a loaded
 * machine starves (here a sandbox process took about 2500 calls, noop or 100 host calls, before
 * its per-call CPU time stopped falling). Figures are taken at steady state, after this.
 */
async function warmUp(runtimes, fn, calls) {
  for (let i = 0; i < calls; i++) for (const plugin of runtimes) await plugin.call(fn, empty);
}

export async function run() {
  const sandbox = await runtime.load(bench, sha(bench), spec('bench'));
  const inThread = await threadRuntime().load(bench, sha(bench), spec('bench-thread'));
  const inline = await bareExtism(false);
  const worker = await bareExtism(true);
  await warmUp([sandbox, inThread], 'noop', WARM_CALLS);

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
  // What the OS-process boundary costs a call: the same runtime with its workers in this process.
  const boundary = await compare(
    () => sandbox.call('noop', empty),
    () => inThread.call('noop', empty),
    { iterations: 1000 },
  );
  record('thread_sandbox_noop_call', boundary.b, 'us');
  record('process_boundary_noop_cost', boundary.a - boundary.b, 'us');
  // The floor under that boundary: bare echoes to a child's main thread over Node's IPC channel
  // (the way calls went before) and to a worker thread of the child on a Unix socket (the way
  // they go now).
  const echo = await echoChild();
  const echoes = await compare(echo.ipc, echo.socket, { iterations: 1000 });
  record('ipc_echo_roundtrip', echoes.a, 'us');
  record('socket_worker_echo_roundtrip', echoes.b, 'us');
  echo.close();

  // The host-call path is warmed on its own: the few warm-up rounds that bare Extism in a worker
  // can afford (20 ms a call) would leave it cold.
  await warmUp([sandbox, inThread], 'hostcalls100', WARM_CALLS);
  // Bare Extism in a worker takes 20-50 ms a call: it gets 30 calls a round, the sandbox 300 (a
  // round of 30 calls of 0.2 ms is a few milliseconds, which one burst of load elsewhere skews).
  const hosts = await compare(
    () => sandbox.call('hostcalls100', empty),
    () => worker.call('hostcalls100'),
    { rounds: 5, iterations: 300, warmup: 20 },
    { iterations: 30, warmup: 5 },
  );
  record('extism_worker_hostcalls100_call', hosts.b, 'us');
  record('hostcalls100_vs_extism_worker_ratio', hosts.a / hosts.b, 'x');
  // The same 100 host calls on a worker of this process: what the process boundary adds to them.
  // The sandbox's own figure is taken here, next to calls as short as its own: a round of bare
  // Extism keeps this thread busy for a second or more, after which the sandbox's calls on this
  // 2-core machine ran about 1.6 times slower for some whole rounds and not others (ADR 0006).
  const hostsInThread = await compare(
    () => sandbox.call('hostcalls100', empty),
    () => inThread.call('hostcalls100', empty),
    { rounds: 5, iterations: 300, warmup: 20 },
  );
  record('sandbox_hostcalls100_call', hostsInThread.a, 'us');
  record('thread_sandbox_hostcalls100_call', hostsInThread.b, 'us');
  record('process_boundary_hostcalls100_cost', hostsInThread.a - hostsInThread.b, 'us');

  // The CPU limit on (fuel-instrumented module) vs off (the module as built), both on bare inline
  // Extism, so that nothing else differs; then the executor's whole path against the same floor.
  const metered = await bareExtism(false, { metered: true });
  const cpuBound = [
    // The worst case: a tight loop of two instructions per turn.
    ['cpu_loop', 'fuel_overhead_ratio'],
    // A typical CPU-bound job, whose loop calls a small accessor.
    ['crc32_1mib', 'fuel_overhead_crc32_ratio'],
  ];
  for (const [fn, ratio] of cpuBound) {
    const fuel = await compare(
      () => metered.call(fn),
      () => inline.call(fn),
      { rounds: 3, iterations: 15, warmup: 2 },
    );
    record(`${fn}_fuel_on`, fuel.a / 1000, 'ms');
    record(`${fn}_fuel_off`, fuel.b / 1000, 'ms');
    record(ratio, fuel.a / fuel.b, 'x');
    const path = await compare(
      () => sandbox.call(fn, empty),
      () => inline.call(fn),
      { rounds: 3, iterations: 15, warmup: 2 },
    );
    record(`sandbox_${fn}_vs_extism_inline_ratio`, path.a / path.b, 'x');
  }

  // Cold: a module never seen; warm: the same module again. Each load starts a sandbox process
  // that instruments and compiles the module itself (a compiled module cannot cross processes),
  // so the two differ only by what the executor's own caches save.
  const loaded = [];
  const loadOf = async (bytes, id) => {
    const plugin = await runtime.load(bytes, sha(bytes), spec(id));
    loaded.push(plugin);
    return plugin.loadMs;
  };
  const colds = [];
  let big;
  for (let seed = 1; seed <= 5; seed++) {
    big = await oneMiBModule(seed * 1000);
    colds.push(await loadOf(big, `big-cold-${seed}`));
  }
  const warms = [];
  for (let i = 0; i < 5; i++) warms.push(await loadOf(big, `big-warm-${i}`));
  const cold = median(colds.sort((a, b) => a - b));
  const warm = median(warms.sort((a, b) => a - b));
  record('module_1mib_size', big.length / (1024 * 1024), 'MiB');
  record('load_1mib_cold', cold, 'ms');
  record('load_1mib_warm', warm, 'ms');
  record('load_1mib_cold_vs_warm_ratio', cold / warm, 'x');
  const instrument = median(await sample(() => instrumentFuel(big), { warmup: 5, iterations: 50 }));
  record('instrument_1mib', instrument / 1000, 'ms');

  // A loaded, idle plugin: its sandbox process and its one warm instance.
  const idle = [];
  global.gc?.();
  const before = treeRss();
  for (let i = 0; i < 10; i++) idle.push(await runtime.load(bench, sha(bench), spec(`idle-${i}`)));
  await new Promise((r) => setTimeout(r, 500));
  record('idle_plugin_memory', (treeRss() - before) / idle.length / (1024 * 1024), 'MiB');

  await Promise.all([sandbox, inThread, ...loaded, ...idle].map((p) => p.close()));
  await Promise.all([inline.close(), worker.close(), metered.close()]);
}
