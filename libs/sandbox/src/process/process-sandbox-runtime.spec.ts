import { execFileSync } from 'node:child_process';
import type { CallLimits } from '../call-limits.js';
import type { PluginIdentity } from '../host-api.js';
import { TEST_LIMITS, TEST_POLICY } from '../testing/test-policy.js';
import type { SandboxError } from '../sandbox-error.js';
import type { LoadedSandboxPlugin } from '../sandbox-plugin.js';
import type { PluginSpec } from '../sandbox-runtime.js';
import { PLUGIN_WAT, wat, type TestModule } from '../testing/hostile-modules.js';
import { TEST_HOST_FUNCTION_NAMES } from '../testing/test-host-functions.js';
import { SANDBOX_START_BYTES } from '../sandbox-memory-budget.js';
import { ProcessSandboxRuntime } from './process-sandbox-runtime.js';

const text = (value: string) => new TextEncoder().encode(value);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
// The calls made so far have reached the sandbox process's channel (they cross in order).
const sent = () => new Promise((resolve) => setImmediate(resolve));
// A wall time a call may spend past the 10 s a close waits (tests that stop calls ask for less).
const DEFAULTS: CallLimits = { ...TEST_LIMITS, wallTimeMs: 20_000 };
const identity = (id: string): PluginIdentity => ({ id, version: '1.0.0', trust: 'untrusted' });

/** Process ids of this process's children (sandbox processes). */
function childPids(): number[] {
  try {
    const out = execFileSync('ps', ['--ppid', String(process.pid), '-o', 'pid='], {
      encoding: 'utf8',
    });
    return out.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return []; // ps exits 1 without children
  }
}

describe('ProcessSandboxRuntime: one OS process per plugin version', () => {
  let plugin: TestModule;
  const crashes: { plugin: string; error: SandboxError; idle: boolean }[] = [];
  const denials: string[] = [];
  // What reached the executor, in the order it arrived.
  const events: { kind: string; plugin: string; event: unknown }[] = [];
  const loaded: LoadedSandboxPlugin[] = [];
  const runtime = (
    instancesPerPlugin = 1,
    options: Partial<ConstructorParameters<typeof ProcessSandboxRuntime>[0]> = {},
  ) =>
    new ProcessSandboxRuntime({
      hostFunctionsModule: new URL('../testing/test-host-functions.ts', import.meta.url),
      hostFunctions: TEST_HOST_FUNCTION_NAMES,
      inputCheck: {
        module: new URL('../testing/test-input-check.ts', import.meta.url).href,
        options: null,
      },
      services: {
        module: new URL('../testing/test-host-functions.ts', import.meta.url).href,
        options: null,
      },
      policy: TEST_POLICY,
      defaults: DEFAULTS,
      memoryCeilingBytes: 1 << 30,
      instancesPerPlugin,
      onCrash: (who, error, { idle }) => crashes.push({ plugin: who.id, error, idle }),
      onDenied: (who, event) => {
        denials.push(who.id);
        events.push({ kind: 'denied', plugin: who.id, event });
      },
      onLog: (who, event) => events.push({ kind: 'log', plugin: who.id, event }),
      onTelemetry: (who, event) => events.push({ kind: 'telemetry', plugin: who.id, event }),
      ...options,
    });
  const load = async (
    id: string,
    module = plugin,
    options: Pick<PluginSpec, 'limits' | 'inputSchemas'> & { instances?: number } = {},
  ) => {
    const instance = await runtime(options.instances).load(module.bytes, module.sha256, {
      identity: identity(id),
      grants: {},
      limits: options.limits,
      inputSchemas: options.inputSchemas,
    });
    loaded.push(instance);
    return instance;
  };

  beforeAll(async () => {
    plugin = await wat(PLUGIN_WAT);
  });
  afterEach(async () => {
    crashes.splice(0);
    events.splice(0);
    await Promise.all(loaded.splice(0).map((p) => p.close()));
  });

  it('runs calls, host functions, main-thread operations and refusals in the sandbox process', async () => {
    const p = await load('test.echo');
    expect(decode((await p.call('echo', text('hello'))).output)).toBe('hello');
    expect(
      JSON.parse(decode((await p.call('call_add_main', text('{"a":2,"b":3}'))).output)),
    ).toMatchObject({ sum: 5 });
    await p.call('call_deny_me', text('{"path":"/etc/passwd"}'));
    expect(denials).toContain('test.echo');
    await expect(p.call('nope', text(''))).rejects.toMatchObject({ code: 'function_not_found' });
  });

  it('checks the input schema a call names in its worker: refused with every problem, unrun', async () => {
    const p = await load('test.schema', plugin, {
      inputSchemas: { needs_name: { required: ['name'] } },
    });
    await expect(
      p.call('call_deny_me', text('{"path":"/a"}'), { inputSchema: 'needs_name' }),
    ).rejects.toMatchObject({
      code: 'input_invalid',
      details: [{ code: 'required', message: 'no name', path: '/name' }],
      resources: expect.objectContaining({ fuel_used: 0, host_calls: 0 }),
    });
    expect(denials).not.toContain('test.schema');
    const named = text('{"name":"Ada"}');
    expect(decode((await p.call('echo', named, { inputSchema: 'needs_name' })).output)).toBe(
      '{"name":"Ada"}',
    );
  });

  it('counts the resident memory of its live processes, from each poll, until each exits', async () => {
    const shared = runtime();
    const start = (id: string) =>
      shared.load(plugin.bytes, plugin.sha256, { identity: identity(id), grants: {} });
    expect(shared.residentBytes()).toBe(0);
    const one = await start('test.one');
    const two = await start('test.two');
    // Each counts at least SANDBOX_START_BYTES, then what its process was last seen to hold.
    const both = shared.residentBytes();
    expect(both).toBeGreaterThanOrEqual(2 * SANDBOX_START_BYTES);
    // Each plugin counts its own process the same way.
    expect(one.residentBytes).toBeGreaterThanOrEqual(SANDBOX_START_BYTES);
    expect(one.residentBytes + two.residentBytes).toBe(both);
    const call = one.call('echo', text('busy'));
    expect(one.callsInFlight).toBe(1);
    await call;
    expect(one.callsInFlight).toBe(0);

    await one.close();
    expect(one.residentBytes).toBe(0);
    expect(shared.residentBytes()).toBe(two.residentBytes);
    expect(shared.residentBytes()).toBeGreaterThanOrEqual(SANDBOX_START_BYTES);
    await two.close();
    expect(shared.residentBytes()).toBe(0);
  });

  it('survives a plugin that aborts its whole process: only its calls fail, it is recorded and restarted', async () => {
    const victim = await load('test.abort');
    const bystander = await load('test.bystander');
    const stopped = victim.call('call_abort_process', text('{}'));
    const served = bystander.call('echo', text('still here'));
    await expect(stopped).rejects.toMatchObject({ code: 'sandbox_crashed' });
    expect(decode((await served).output)).toBe('still here');
    // Under a call: that call's failure reports the death.
    expect(crashes.map(({ plugin, idle }) => ({ plugin, idle }))).toEqual([
      { plugin: 'test.abort', idle: false },
    ]);
    // The next call starts a fresh process for it.
    expect(decode((await victim.call('echo', text('back'))).output)).toBe('back');
    expect(decode((await bystander.call('echo', text('again'))).output)).toBe('again');
  });

  it('fails a load whose instance does not start within workerStartTimeoutMs with start_timeout', async () => {
    const slow = runtime(1, { workerStartTimeoutMs: 1 });
    await expect(
      slow.load(plugin.bytes, plugin.sha256, { identity: identity('test.slow'), grants: {} }),
    ).rejects.toMatchObject({ code: 'start_timeout' });
  });

  it('runs a start function under the call wall time: one spinning past it fails the load with timeout', async () => {
    const spinning = await wat(
      '(module (memory (export "memory") 1) (func $spin (loop $l (br $l))) (start $spin) (func (export "run")))',
    );
    const started = performance.now();
    await expect(
      load('test.start-spin', spinning, { limits: { wallTimeMs: 300 } }),
    ).rejects.toMatchObject({ code: 'timeout', message: expect.stringContaining('300 ms') });
    // Not the worker start timeout (10 s by default): the wall time, with the process's own start.
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('stops an endless loop at its wall time, with what it used; the same process serves on', async () => {
    const p = await load('test.spin', plugin, { limits: { wallTimeMs: 1000 } });
    const failure = p.call('spin', text(''));
    await expect(failure).rejects.toMatchObject({
      code: 'timeout',
      resources: { memory_pages: null, host_calls: 0, wall_ms: expect.any(Number) },
    });
    expect(decode((await p.call('echo', text('after'))).output)).toBe('after');
    expect(crashes).toEqual([]);
  });

  it('stops a call blocked in a main-thread operation at its wall time, with its host calls and fuel', async () => {
    const p = await load('test.sleeper', plugin, { limits: { wallTimeMs: 1000 } });
    await expect(p.call('call_sleep_main', text('{"ms":10000}'))).rejects.toMatchObject({
      code: 'timeout',
      resources: { host_calls: 2, fuel_used: expect.any(Number) },
    });
    expect(decode((await p.call('echo', text('after'))).output)).toBe('after');
  });

  it('replaces a worker that died under a call: runtime_failure, and no crash of its process', async () => {
    const p = await load('test.worker-exit');
    await expect(p.call('call_crash_worker', text('{}'))).rejects.toMatchObject({
      code: 'runtime_failure',
    });
    expect(decode((await p.call('echo', text('after'))).output)).toBe('after');
    expect(crashes).toEqual([]);
  });

  it('codes a worker whose JavaScript heap ran out memory_limit across the process boundary', async () => {
    const p = await load('test.worker-heap');
    await expect(p.call('call_exhaust_heap', text('{}'))).rejects.toMatchObject({
      code: 'memory_limit',
      message: expect.stringContaining('the plugin worker died'),
    });
    expect(decode((await p.call('echo', text('after'))).output)).toBe('after');
    expect(crashes).toEqual([]);
  });

  it('runs concurrent calls on instances of their own, up to instancesPerPlugin', async () => {
    const p = await load('test.two', plugin, { limits: { wallTimeMs: 2000 }, instances: 2 });
    const spinning = p.call('spin', text('')).catch((error: unknown) => error);
    // Served by the second instance while the first spins.
    expect(decode((await p.call('echo', text('beside'))).output)).toBe('beside');
    expect(await spinning).toMatchObject({ code: 'timeout' });
  });

  it('delivers a refusal, log lines and telemetry in the order caused, before the call returns', async () => {
    const p = await load('test.events');
    await p.call('call_deny_me', text('{"path":"/etc/passwd"}'));
    expect(events).toEqual([
      {
        kind: 'denied',
        plugin: 'test.events',
        event: { capability: 'fs.read', target: '/etc/passwd', reason: 'fs.read is not granted' },
      },
    ]);
    await p.call('call_log_it', text('{"line":"hi \\ud800"}'));
    expect(events.slice(1)).toEqual([
      { kind: 'log', plugin: 'test.events', event: { line: 'hi \ud800' } },
      { kind: 'telemetry', plugin: 'test.events', event: { name: 'logged' } },
    ]);
  });

  it('tells the process a call that used main-thread operations ended, before the next can use them', async () => {
    const p = await load('test.ended');
    await p.call('call_add_main', text('{"a":2,"b":3}'));
    // The call asking counts only the one before it: its own end comes after its answer.
    expect(decode((await p.call('call_calls_ended_main', text('{}'))).output)).toBe('1');
  });

  it('closes within its 10 s bound: calls still running end with their process as plugin_unloaded (they ran), those waiting for an instance as plugin_closed (they did not); no crash', async () => {
    const p = await load('test.slow-close', plugin, { limits: { wallTimeMs: 15_000 } });
    const running = p.call('spin', text('')).catch((error: unknown) => error);
    const waiting = p.call('spin', text('')).catch((error: unknown) => error);
    await new Promise(setImmediate); // both calls reach the process's pool: one runs, one waits
    await p.close();
    expect(await running).toMatchObject({ code: 'plugin_unloaded' });
    expect(await waiting).toMatchObject({ code: 'plugin_closed' });
    expect(crashes).toEqual([]);
  }, 40_000);

  it('leaves the signals of its process group (Ctrl-C, a service stop) to the executor: the process serves on, no crash', async () => {
    const others = childPids();
    const p = await load('test.group-signals');
    const [pid] = childPids().filter((child) => !others.includes(child));
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.kill(pid, signal);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(decode((await p.call('echo', text('still here'))).output)).toBe('still here');
    expect(childPids()).toContain(pid);
    expect(crashes).toEqual([]);
  });

  it('reports a sandbox process killed while it closes as a crash: its running call fails with sandbox_crashed, the close ends, a bystander serves on', async () => {
    const bystander = await load('test.close-bystander');
    const others = childPids();
    const p = await load('test.close-killed');
    const [pid] = childPids().filter((child) => !others.includes(child));
    const running = p.call('call_sleep_main', text('{"ms":60000}')).catch((e: unknown) => e);
    await sent();
    const closed = p.close(); // waits for the running call
    await sent();
    process.kill(pid, 'SIGKILL');
    await closed;
    expect(await running).toMatchObject({ code: 'sandbox_crashed' });
    expect(crashes).toEqual([
      {
        plugin: 'test.close-killed',
        error: expect.objectContaining({
          code: 'sandbox_crashed',
          message: expect.stringContaining('SIGKILL'),
        }),
        idle: false,
      },
    ]);
    expect(decode((await bystander.call('echo', text('still here'))).output)).toBe('still here');
  });

  it('paces a denial flood to policy.denialsPerSecond in the flooding call: it runs out of its own wall time, every refusal sent is recorded, and a bystander is served meanwhile', async () => {
    const rate = 100;
    const paced = runtime(1, {
      policy: { ...TEST_POLICY, denialsPerSecond: rate },
      defaults: { ...DEFAULTS, wallTimeMs: 1000, maxHostCalls: 1_000_000 },
    });
    const load = (id: string) =>
      paced.load(plugin.bytes, plugin.sha256, { identity: identity(id), grants: {} });
    const [flooder, bystander] = await Promise.all([
      load('test.deny-flood'),
      load('test.deny-bystander'),
    ]);
    loaded.push(flooder, bystander);
    const flood = flooder
      .call('deny_loop', text('{"path":"/etc/shadow"}'))
      .catch((e: unknown) => e);
    const served: string[] = [];
    for (let i = 0; i < 5; i++)
      served.push(decode((await bystander.call('echo', text(`${i}`))).output));
    const error = (await flood) as SandboxError;
    expect(error.code).toBe('timeout');
    expect(served).toEqual(['0', '1', '2', '3', '4']);
    const refused = denials.filter((who) => who === 'test.deny-flood').length;
    // A burst of one second's worth, then `rate` a second over the call's 1 s (plus the time to
    // stop it); before, the same call sent ~10^5 denials in its second.
    expect(refused).toBeGreaterThanOrEqual(rate);
    expect(refused).toBeLessThanOrEqual(2 * rate + rate / 2);
    // Its host calls are its refusals: each one answered was sent, but the one waiting its turn
    // when the call was stopped (and one whose frame was still on its way).
    expect(error.resources?.host_calls).toBeGreaterThanOrEqual(refused);
    expect(error.resources!.host_calls).toBeLessThanOrEqual(refused + 2);
  }, 30_000);

  describe('paces the refusals of a version, all its instances together (one bucket in its process)', () => {
    const rate = 100;
    const load = async (id: string, wallTimeMs = 1000) => {
      const p = await runtime(2, {
        policy: { ...TEST_POLICY, denialsPerSecond: rate },
        defaults: { ...DEFAULTS, wallTimeMs, maxHostCalls: 1_000_000 },
      }).load(plugin.bytes, plugin.sha256, { identity: identity(id), grants: {} });
      loaded.push(p);
      return p;
    };
    // Both instances up, so that a flood starts on both at once.
    const warm = (p: LoadedSandboxPlugin) => {
      const nap = () => p.call('call_sleep_main', text('{"ms":100}'));
      return Promise.all([nap(), nap()]);
    };
    // A call refused until stopped at its wall time; its host calls: the alloc of its input, its
    // refusals sent, and the one waiting its turn when it was stopped.
    const flood = async (p: LoadedSandboxPlugin) => {
      const error = (await p
        .call('deny_loop', text('{"path":"/etc/shadow"}'))
        .catch((e: unknown) => e)) as SandboxError;
      expect(error.code).toBe('timeout');
      return error.resources!.host_calls;
    };
    // At most a burst and the rate over the floods' time, whatever instances took the turns (and
    // the alloc and the refusal waiting of each flood).
    const expectOneBucket = (turns: number[], since: number) => {
      const seconds = (performance.now() - since) / 1000;
      const total = turns.reduce((a, b) => a + b, 0);
      expect(total).toBeLessThanOrEqual(rate + rate * seconds + 2 * turns.length);
      expect(total).toBeGreaterThanOrEqual(rate);
    };

    it('two instances flooding at once share one burst and the rate (not one each), and a bystander version is served, its refusals recorded', async () => {
      const [flooder, bystander] = await Promise.all([
        load('test.deny-pair'),
        load('test.deny-pair-bystander'),
      ]);
      await warm(flooder);
      const started = performance.now();
      const floods = Promise.all([flood(flooder), flood(flooder)]).then((turns) =>
        expectOneBucket(turns, started),
      );
      for (let i = 0; i < 5; i++) {
        const { output } = await bystander.call('call_deny_me', text(`{"path":"/etc/${i}"}`));
        expect(JSON.parse(decode(output))).toMatchObject({ error: { code: 'permission_denied' } });
      }
      expect(decode((await bystander.call('echo', text('served'))).output)).toBe('served');
      expect(denials.filter((who) => who === 'test.deny-pair-bystander')).toHaveLength(5);
      // Before: a burst and the rate each, about 2 × (100 + 100) here.
      await floods;
    }, 30_000);

    it('an instance replacing one that died gets no burst of its own: it shares the turns left', async () => {
      // Long enough for the first to flood still while the new instance starts (about 2 s here).
      const flooder = await load('test.deny-again', 3000);
      await warm(flooder);
      const started = performance.now();
      const first = flood(flooder);
      await expect(flooder.call('call_crash_worker', text('{}'))).rejects.toMatchObject({
        code: 'runtime_failure',
      });
      // On a new instance, started while the first floods.
      const again = flood(flooder);
      // Before: a burst and the rate again, about 2 × (100 + 300) here.
      expectOneBucket(await Promise.all([first, again]), started);
    }, 30_000);
  });

  it('refuses calls once closed, and starts no process for them', async () => {
    const p = await load('test.closed');
    await p.close();
    await expect(p.call('echo', text('x'))).rejects.toMatchObject({ code: 'plugin_closed' });
  });

  it('on close, lets the running and queued calls finish and answers every one', async () => {
    const p = await runtime().load(plugin.bytes, plugin.sha256, {
      identity: identity('test.drained'),
      grants: {},
    });
    const running = p.call('call_sleep_main', text('{"ms":300}'));
    const queued = [p.call('echo', text('one')), p.call('echo', text('two'))];
    await sent();
    await p.close();
    expect(JSON.parse(decode((await running).output))).toBe('slept');
    expect((await Promise.all(queued)).map((r) => decode(r.output))).toEqual(['one', 'two']);
  });

  it('on close refusing the queued calls (a paused plugin), fails them with plugin_closed, unrun, and lets the running one finish', async () => {
    const p = await runtime().load(plugin.bytes, plugin.sha256, {
      identity: identity('test.paused'),
      grants: {},
    });
    const running = p.call('call_sleep_main', text('{"ms":300}'));
    const queued = Promise.allSettled([
      p.call('call_deny_me', text('{"path":"/a"}')),
      p.call('echo', text('two')),
    ]);
    await sent();
    await p.close({ refuseQueued: true });
    expect(JSON.parse(decode((await running).output))).toBe('slept');
    expect(await queued).toEqual([
      { status: 'rejected', reason: expect.objectContaining({ code: 'plugin_closed' }) },
      { status: 'rejected', reason: expect.objectContaining({ code: 'plugin_closed' }) },
    ]);
    expect(denials).not.toContain('test.paused');
    expect(crashes).toEqual([]);
  });
});
