import { exampleModule, sha256Hex } from '@convergio/testing';
import type { PluginIdentity } from './host-api.js';
import type { SandboxLogger } from './plugin-log-sink.js';
import type { LoadedSandboxPlugin } from './sandbox-plugin.js';
import { SandboxRuntime, type PluginSpec, type SandboxRuntimeOptions } from './sandbox-runtime.js';
import { importingWat, PLUGIN_WAT, wat, type TestModule } from './testing/hostile-modules.js';
import { TEST_HOST_FUNCTION_NAMES, testMainThreadOps } from './testing/test-host-functions.js';
import { TEST_LIMITS, TEST_POLICY } from './testing/test-policy.js';
import { MAX_ERROR_BYTES } from './worker/plugin-kernel.js';

const text = (value: string) => new TextEncoder().encode(value);
const json = (bytes: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(bytes));
const quietLogger: SandboxLogger = { warn: () => undefined, error: () => undefined };

const POLICY = TEST_POLICY;
const DEFAULTS = TEST_LIMITS;
// A module whose start function runs `body`; `ready` answers the global the start function may set.
const START_WAT = (body: string) => `(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (global $ready (mut i32) (i32.const 0))
  (func $start ${body})
  (start $start)
  (func (export "ready") (result i32) (local $off i64)
    (local.set $off (call $alloc (i64.const 2)))
    (call $store_u8 (local.get $off) (i32.add (i32.const 48) (i32.div_u (global.get $ready) (i32.const 10))))
    (call $store_u8 (i64.add (local.get $off) (i64.const 1)) (i32.add (i32.const 48) (i32.rem_u (global.get $ready) (i32.const 10))))
    (call $output_set (local.get $off) (i64.const 2))
    (i32.const 0)))`;
const identity = (id: string): PluginIdentity => ({ id, version: '1.0.0', trust: 'untrusted' });

describe('SandboxRuntime', () => {
  let plugin: TestModule;
  let runtime: SandboxRuntime;
  let aborted: string[];
  let events: { kind: string; plugin: string; event: unknown }[];
  const loaded: LoadedSandboxPlugin[] = [];

  function makeRuntime(overrides: Partial<SandboxRuntimeOptions> = {}): SandboxRuntime {
    return new SandboxRuntime({
      hostFunctionsModule: new URL('./testing/test-host-functions.ts', import.meta.url),
      hostFunctions: TEST_HOST_FUNCTION_NAMES,
      mainThreadOps: testMainThreadOps(aborted),
      policy: POLICY,
      defaults: DEFAULTS,
      logger: quietLogger,
      onDenied: (who, event) => events.push({ kind: 'denied', plugin: who.id, event }),
      onLog: (who, event) => events.push({ kind: 'log', plugin: who.id, event }),
      onTelemetry: (who, event) => events.push({ kind: 'telemetry', plugin: who.id, event }),
      ...overrides,
    });
  }

  async function load(module: TestModule = plugin, spec: Partial<PluginSpec> = {}) {
    const instance = await runtime.load(module.bytes, module.sha256, {
      identity: identity('test.plugin'),
      grants: {},
      ...spec,
    });
    loaded.push(instance);
    return instance;
  }

  const stillWorks = async (instance: LoadedSandboxPlugin) =>
    expect(new TextDecoder().decode((await instance.call('echo', text('still here'))).output)).toBe(
      'still here',
    );

  beforeAll(async () => {
    plugin = await wat(PLUGIN_WAT);
  });

  beforeEach(() => {
    aborted = [];
    events = [];
    runtime = makeRuntime();
  });

  afterEach(async () => {
    await Promise.all(loaded.splice(0).map((instance) => instance.close()));
  });

  describe('calls', () => {
    it('greets through the example plugin, reporting the resources used', async () => {
      const greetBytes = exampleModule('greet.wasm');
      const greet = await load({ bytes: greetBytes, sha256: sha256Hex(greetBytes) });
      const { output, resources } = await greet.call('greet', text('{"name": "Zoë"}'));
      expect(json(output)).toEqual({ greeting: 'Hello, Zoë!' });
      expect(resources).toEqual({
        wall_ms: expect.any(Number),
        fuel_used: expect.any(Number),
        memory_pages: expect.any(Number),
        host_calls: 1, // the kernel alloc of its output
      });
      expect(resources.fuel_used).toBeGreaterThan(0);
      expect(resources.memory_pages).toBeGreaterThanOrEqual(1);
    });

    it('reports a plugin error_set as plugin_error', async () => {
      const greetBytes = exampleModule('greet.wasm');
      const greet = await load({ bytes: greetBytes, sha256: sha256Hex(greetBytes) });
      await expect(greet.call('greet', text('{}'))).rejects.toMatchObject({
        code: 'plugin_error',
        message: 'name is required',
      });
    });

    it('keeps the first MAX_ERROR_BYTES of an error_set text, saying how long it was', async () => {
      // The input block as the error: a 1 MiB error for the price of one instruction.
      const failing = await wat(`(module
        (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
        (import "extism:host/env" "error_set" (func $error_set (param i64)))
        (memory (export "memory") 1)
        (func (export "fail") (result i32) (call $error_set (call $input_offset)) (i32.const 1)))`);
      const instance = await load(failing);
      await expect(instance.call('fail', text('a'.repeat(1 << 20)))).rejects.toMatchObject({
        code: 'plugin_error',
        message: `${'a'.repeat(MAX_ERROR_BYTES)}... (cut: the error has ${1 << 20} bytes, the first ${MAX_ERROR_BYTES} are kept)`,
      });
    });

    it('hands a host function the parsed JSON input and the plugin its JSON result', async () => {
      const instance = await load();
      const { output, resources } = await instance.call('call_echo_host', text('{"a":[1,"é"]}'));
      expect(json(output)).toEqual({ echo: { a: [1, 'é'] } });
      expect(resources.host_calls).toBe(2); // the kernel alloc of its input copy, then echo_host
    });

    it.each([
      ['input that is not JSON', 'call_echo_host', 'not json', 'bad_request'],
      ['a host function that throws', 'call_explode', '{}', 'host_error'],
      ['a result that is not JSON-serialisable', 'call_unserializable', '{}', 'host_error'],
    ])('returns %s to the plugin as an error result', async (_, fn, input, code) => {
      const instance = await load();
      expect(json((await instance.call(fn, text(input))).output)).toMatchObject({
        error: { code },
      });
      await stillWorks(instance);
    });

    // Before: 50 MB of malformed UTF-8 handed to a host function was decoded to 50 million UTF-16
    // units, past the worker's 64 MiB heap, and the worker died (found by a review).
    it('refuses a host call input over 12 MiB payload_too_large without decoding it', async () => {
      runtime = makeRuntime({
        defaults: { ...DEFAULTS, maxMemoryPages: 1024, wallTimeMs: 30_000 },
      });
      const instance = await load();
      const input = Buffer.alloc(13_000_000, 0xff);
      expect(json((await instance.call('call_echo_host', input)).output)).toEqual({
        error: {
          code: 'payload_too_large',
          message:
            'the input of echo_host is 13000000 bytes, more than the 12582912 a host call takes',
        },
      });
      await stillWorks(instance);
    });

    it('gives each answer of a constant its own block: what the plugin writes in one stays there', async () => {
      const instance = await load();
      expect(json((await instance.call('overwrite_constant', text('{}'))).output)).toEqual({
        constant: true,
      });
    });

    it('runs main-thread operations through callMain, with released secrets', async () => {
      const instance = await load();
      expect(json((await instance.call('call_add_main', text('{"a":2,"b":3}'))).output)).toEqual({
        sum: 5,
        secrets: ['s3cr3t'],
      });
    });

    it('serializes concurrent calls on one plugin, each getting its own output', async () => {
      const instance = await load();
      const inputs = Array.from({ length: 20 }, (_, i) => `call ${i}`);
      const outputs = await Promise.all(inputs.map((input) => instance.call('echo', text(input))));
      expect(outputs.map((o) => new TextDecoder().decode(o.output))).toEqual(inputs);
    });

    it('runs concurrent calls on instances of their own, up to instancesPerPlugin', async () => {
      // Each call waits in a main-thread op until the other arrives: serialized calls never meet.
      const arrived = new Set<string>();
      let meet!: () => void;
      const bothArrived = new Promise<void>((resolve) => (meet = resolve));
      const ended: string[] = [];
      runtime = makeRuntime({
        instancesPerPlugin: 2,
        mainThreadOps: {
          sleep: async (_payload, { instance }) => {
            arrived.add(instance);
            if (arrived.size === 2) meet();
            await bothArrived;
            return 'met';
          },
        },
        onCallEnd: (_plugin, instance) => ended.push(instance),
      });
      const instance = await load();
      const calls = [1, 2].map(() => instance.call('call_sleep_main', text('{}')));
      expect((await Promise.all(calls)).map((o) => json(o.output))).toEqual(['met', 'met']);
      expect(new Set(ended)).toEqual(arrived);
    });

    it('refuses a function the module does not export, and the instrumentation exports', async () => {
      const instance = await load();
      for (const fn of ['exfiltrate', '__convergio_fuel'])
        await expect(instance.call(fn, text(''))).rejects.toMatchObject({
          code: 'function_not_found',
        });
    });

    it('refuses calls after close', async () => {
      const instance = await load();
      await instance.close();
      await expect(instance.call('noop', text(''))).rejects.toMatchObject({
        code: 'plugin_closed',
      });
    });
  });

  describe('limits', () => {
    it('stops an endless loop at its fuel budget with cpu_limit', async () => {
      const instance = await load(plugin, { limits: { fuel: 1_000_000 } });
      const failure = instance.call('spin', text(''));
      await expect(failure).rejects.toMatchObject({
        code: 'cpu_limit',
        resources: { fuel_used: 1_000_000 },
      });
      await stillWorks(instance);
    });

    it('counts the same fuel for the same work', async () => {
      const instance = await load();
      const first = (await instance.call('count', text(''))).resources.fuel_used;
      const second = (await instance.call('count', text(''))).resources.fuel_used;
      expect(first).toBe(second);
      expect(first).toBeGreaterThan(1_000_000);
    });

    it('stops an endless loop by wall time when fuel is plentiful, with a fresh worker after', async () => {
      const instance = await load(plugin, { limits: { wallTimeMs: 1000 } });
      const failure = instance.call('spin', text(''));
      await expect(failure).rejects.toMatchObject({
        code: 'timeout',
        resources: { memory_pages: null },
      });
      await expect(failure).rejects.toHaveProperty('resources.wall_ms', expect.any(Number));
      await stillWorks(instance);
    });

    it('gives a plugin that never frees a fresh instance before its memory cap fails a call', async () => {
      // Each call grows memory by 5 pages and never gives them back; the cap is 16 pages.
      const leaky = await wat(`(module (memory (export "memory") 1)
        (func (export "leak") (result i32)
          (if (i32.eq (memory.grow (i32.const 5)) (i32.const -1)) (then unreachable))
          (i32.const 0)))`);
      const instance = await load(leaky, { limits: { maxMemoryPages: 16 } });
      const pages = [];
      for (let i = 0; i < 8; i++)
        pages.push((await instance.call('leak', text(''))).resources.memory_pages);
      expect(pages).toEqual([6, 11, 16, 6, 11, 16, 6, 11]);
    });

    it('reports no fuel figure for a call killed while running Wasm: its count died with it', async () => {
      const instance = await load(plugin, { limits: { wallTimeMs: 1000 } });
      const failure = await instance.call('spin', text('')).catch((error: unknown) => error);
      expect(failure).toHaveProperty('code', 'timeout');
      expect(failure).not.toHaveProperty('resources.fuel_used');
    });

    it('stops a call blocked in a main-thread operation, aborting the operation', async () => {
      const instance = await load(plugin, { limits: { wallTimeMs: 1000 } });
      await expect(instance.call('call_sleep_main', text('{"ms":10000}'))).rejects.toMatchObject({
        code: 'timeout',
        resources: { host_calls: 2, fuel_used: expect.any(Number) },
      });
      expect(aborted).toEqual(['test.plugin']);
      await stillWorks(instance);
    });

    it('fails a memory bomb at the page cap and reports the pages', async () => {
      const instance = await load(plugin, { limits: { maxMemoryPages: 32 } });
      await expect(instance.call('membomb', text(''))).rejects.toMatchObject({
        code: 'trap',
        resources: { memory_pages: 32 },
      });
      await stillWorks(instance);
    });

    it('stops a plugin growing its memory a page at a time with cpu_limit, long before its cap', async () => {
      const grower = await wat(`(module (memory (export "memory") 1)
        (func (export "grow") (result i32) (loop $again (drop (memory.grow (i32.const 1))) (br $again))
          (i32.const 0)))`);
      const instance = await load(grower, { limits: { fuel: 10_000_000, maxMemoryPages: 1024 } });
      // Each grow pays for every page of the memory after it: 10,000,000 units reach 48 pages.
      await expect(instance.call('grow', text(''))).rejects.toMatchObject({
        code: 'cpu_limit',
        resources: { memory_pages: 48 },
      });
    });

    it('stops a plugin growing a table an element at a time with cpu_limit, before 10,000 entries', async () => {
      // Traps on purpose once it holds 10,000 entries: it must not get that far.
      const grower = await wat(`(module (table $t 1 funcref) (memory (export "memory") 1)
        (func (export "grow") (result i32)
          (loop $again (drop (table.grow $t (ref.null func) (i32.const 1)))
            (br_if $again (i32.lt_u (table.size $t) (i32.const 10000))))
          (unreachable)))`);
      const instance = await load(grower, { limits: { fuel: 10_000_000 } });
      await expect(instance.call('grow', text(''))).rejects.toMatchObject({ code: 'cpu_limit' });
    });

    it('reports endless recursion as stack_overflow', async () => {
      const instance = await load();
      await expect(instance.call('recurse', text(''))).rejects.toMatchObject({
        code: 'stack_overflow',
      });
      await stillWorks(instance);
    });

    it('fails a call that loops on host calls with host_call_limit', async () => {
      const instance = await load(plugin, { limits: { maxHostCalls: 10 } });
      await expect(instance.call('host_loop', text('{}'))).rejects.toMatchObject({
        code: 'host_call_limit',
        resources: { host_calls: 11 },
      });
      await stillWorks(instance);
    });

    it('refuses a 100 MiB output at the host memory limit', async () => {
      const instance = await load();
      await expect(instance.call('big_output', text(''))).rejects.toMatchObject({
        code: 'memory_limit',
      });
      await stillWorks(instance);
    });

    it('refuses an output over maxOutputBytes', async () => {
      const instance = await load(plugin, { limits: { maxOutputBytes: 1024 } });
      await expect(instance.call('echo', new Uint8Array(2048))).rejects.toMatchObject({
        code: 'output_too_large',
      });
      await stillWorks(instance);
    });

    it('caps a plugin asking for more than the defaults at the defaults', async () => {
      const instance = await load(plugin, { limits: { fuel: 1e15, maxHostCalls: 1e6 } });
      await expect(instance.call('host_loop', text('{}'))).rejects.toMatchObject({
        code: 'host_call_limit',
        resources: { host_calls: DEFAULTS.maxHostCalls + 1 },
      });
    });

    it('codes a worker whose JavaScript heap ran out memory_limit, and replaces it', async () => {
      const instance = await load();
      await expect(instance.call('call_exhaust_heap', text('{}'))).rejects.toMatchObject({
        code: 'memory_limit',
        message: expect.stringContaining('the plugin worker died'),
      });
      await stillWorks(instance);
    });

    it('replaces a worker that died under a call', async () => {
      const instance = await load();
      await expect(instance.call('call_crash_worker', text('{}'))).rejects.toMatchObject({
        code: 'runtime_failure',
      });
      await stillWorks(instance);
    });
  });

  describe('loading', () => {
    it.each([
      ['a namespace outside the ABI', importingWat('env', 'abort', '')],
      [
        'WASI',
        importingWat('wasi_snapshot_preview1', 'fd_write', '(param i32 i32 i32 i32) (result i32)'),
      ],
      [
        'built-in HTTP',
        importingWat('extism:host/env', 'http_request', '(param i64 i64) (result i64)'),
      ],
      ['a host function not in the table', importingWat('extism:host/user', 'fs_nope')],
      ['a host function of the wrong type', importingWat('extism:host/user', 'echo_host', '')],
    ])('refuses a module importing %s, and the process survives', async (_, source) => {
      await expect(load(await wat(source))).rejects.toMatchObject({
        code: 'module_import_forbidden',
      });
      await stillWorks(await load());
    });

    it('runs the start function metered, before the first call sees its effects', async () => {
      const instance = await load(await wat(START_WAT('(global.set $ready (i32.const 42))')));
      expect(json((await instance.call('ready', text(''))).output)).toBe(42);
      await expect(instance.call('__convergio_start', text(''))).rejects.toMatchObject({
        code: 'function_not_found',
      });
    });

    it('refuses a module whose start function loops forever, with cpu_limit', async () => {
      const endless = await wat(START_WAT('(loop $forever (br $forever))'));
      await expect(load(endless, { limits: { fuel: 100_000 } })).rejects.toMatchObject({
        code: 'cpu_limit',
      });
      await stillWorks(await load());
    });

    it('refuses a module exporting a name the instrumentation reserves', async () => {
      const squatter = await wat(
        '(module (func (export "__convergio_start")) (func (export "run") (result i32) (i32.const 0)))',
      );
      await expect(load(squatter)).rejects.toMatchObject({ code: 'module_export_reserved' });
    });

    it('prepares a module once, however often it is loaded', async () => {
      const first = await load();
      const second = await load();
      expect([first.cached, second.cached]).toEqual([false, true]);
      expect(runtime.compiledCount()).toBe(1);
      expect(second.loadMs).toBeGreaterThan(0);
    });

    it('refuses bytes that do not hash to the given sha256', async () => {
      await expect(load({ bytes: plugin.bytes, sha256: 'a'.repeat(64) })).rejects.toMatchObject({
        code: 'module_hash_mismatch',
      });
      expect(runtime.compiledCount()).toBe(0);
    });

    it('refuses a host-functions module without createHostFunctions', async () => {
      runtime = makeRuntime({
        hostFunctionsModule: new URL('./testing/hostile-modules.ts', import.meta.url),
      });
      await expect(load()).rejects.toMatchObject({ code: 'runtime_failure' });
    });
  });

  describe('isolation', () => {
    it('shows each plugin its own identity and grants, and no process environment', async () => {
      const a = await load(plugin, {
        identity: identity('plugin.a'),
        grants: { 'fs.read': { paths: ['/a'] } },
      });
      const b = await load(plugin, { identity: identity('plugin.b'), grants: {} });
      const [seenByA, seenByB] = await Promise.all([
        a.call('call_whoami', text('{}')),
        b.call('call_whoami', text('{}')),
      ]);
      expect(json(seenByA.output)).toEqual({
        plugin: identity('plugin.a'),
        grants: { 'fs.read': { paths: ['/a'] } },
        environmentKeys: [
          'callMain',
          'countDroppedTelemetry',
          'deny',
          'emit',
          'emitLogLine',
          'grants',
          'plugin',
          'policy',
          'releasedSecrets',
        ],
        processEnvKeys: [],
      });
      expect(json(seenByB.output)).toMatchObject({ plugin: identity('plugin.b'), grants: {} });
    });

    it('reports a denial, a log line and a telemetry event against the plugin that caused them', async () => {
      const a = await load(plugin, { identity: identity('plugin.a') });
      const b = await load(plugin, { identity: identity('plugin.b') });
      expect(json((await b.call('call_deny_me', text('{"path":"/etc/passwd"}'))).output)).toEqual({
        error: {
          code: 'permission_denied',
          message: 'fs.read is not granted',
          capability: 'fs.read',
          target: '/etc/passwd',
        },
      });
      await a.call('call_log_it', text('{"line":"hi"}'));
      expect(events).toEqual([
        {
          kind: 'denied',
          plugin: 'plugin.b',
          event: { capability: 'fs.read', target: '/etc/passwd', reason: 'fs.read is not granted' },
        },
        { kind: 'log', plugin: 'plugin.a', event: { line: 'hi' } },
        { kind: 'telemetry', plugin: 'plugin.a', event: { name: 'logged' } },
      ]);
    });
  });
});
