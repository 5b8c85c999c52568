import { logMessageHeadBytes } from '@convergio/policy';
import type { CallLimits } from './call-limits.js';
import type { LoadedSandboxPlugin } from './sandbox-plugin.js';
import { SandboxRuntime, type PluginSpec, type SandboxRuntimeOptions } from './sandbox-runtime.js';
import { wat, type TestModule } from './testing/hostile-modules.js';
import { FLOOD_BLOCK_BYTES, FLOOD_BLOCKS, KERNEL_ATTACK_WAT } from './testing/kernel-modules.js';
import { TEST_HOST_FUNCTION_NAMES, testMainThreadOps } from './testing/test-host-functions.js';
import { TEST_POLICY } from './testing/test-policy.js';

// The Extism kernel imports (extism:host/env) are held to the rules of host functions: a
// refused allocation leaves nothing behind, kernel calls count as host calls, vars are bounded
// and log_* goes through the `log` host function. Real worker threads, real Extism.

const text = (value: string) => new TextEncoder().encode(value);
const u64 = (bytes: Uint8Array) =>
  new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true);

const POLICY = TEST_POLICY;
// A cap just under 64 MiB: each 64 MiB flood block alone is more than the whole cap.
const DEFAULTS: CallLimits = {
  wallTimeMs: 20_000,
  fuel: 1e13,
  maxMemoryPages: 1000,
  maxHostCalls: 1000,
  maxOutputBytes: 1 << 20,
};
const CAP_BYTES = DEFAULTS.maxMemoryPages * 65536;

describe('Extism kernel imports under the sandbox limits', () => {
  let module: TestModule;
  let events: { kind: string; event: unknown }[];
  let logged: string[];
  const loaded: LoadedSandboxPlugin[] = [];

  function makeRuntime(overrides: Partial<SandboxRuntimeOptions> = {}): SandboxRuntime {
    return new SandboxRuntime({
      hostFunctionsModule: new URL('./testing/test-host-functions.ts', import.meta.url),
      hostFunctions: TEST_HOST_FUNCTION_NAMES,
      mainThreadOps: testMainThreadOps(),
      policy: POLICY,
      defaults: DEFAULTS,
      logger: { warn: (m) => void logged.push(m), error: (m) => void logged.push(m) },
      onLog: (_who, event) => events.push({ kind: 'log', event }),
      ...overrides,
    });
  }

  async function load(spec: Partial<PluginSpec> = {}, runtime = makeRuntime()) {
    const instance = await runtime.load(module.bytes, module.sha256, {
      identity: { id: 'kernel.attacker', version: '1.0.0', trust: 'untrusted' },
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
    module = await wat(KERNEL_ATTACK_WAT);
  });

  beforeEach(() => {
    events = [];
    logged = [];
  });

  afterEach(async () => {
    await Promise.all(loaded.splice(0).map((instance) => instance.close()));
  });

  describe('alloc', () => {
    it(`refuses ${FLOOD_BLOCKS} allocs of 64 MiB written at their predictable addresses: memory_limit, RSS stays far under the cap`, async () => {
      const instance = await load();
      const before = process.memoryUsage().rss;
      const failure = await instance.call('alloc_store_flood', text('')).catch((e: unknown) => e);
      expect(process.memoryUsage().rss - before).toBeLessThan(CAP_BYTES);
      expect(failure).toMatchObject({ code: 'memory_limit' });
      await stillWorks(instance);
    });

    it('keeps two concurrent floods on two instances each under the cap', async () => {
      const instance = await load({}, makeRuntime({ instancesPerPlugin: 2 }));
      const before = process.memoryUsage().rss;
      const results = await Promise.allSettled(
        [1, 2].map(() => instance.call('alloc_store_flood', text(''))),
      );
      expect(process.memoryUsage().rss - before).toBeLessThan(2 * CAP_BYTES);
      expect(results).toMatchObject([
        { status: 'rejected', reason: { code: 'memory_limit' } },
        { status: 'rejected', reason: { code: 'memory_limit' } },
      ]);
    });

    it('answers 0 to every refused alloc, and the call may go on', async () => {
      const instance = await load();
      const before = process.memoryUsage().rss;
      const { output } = await instance.call('alloc_refused', text(''));
      expect(u64(output)).toBe(0n);
      expect(process.memoryUsage().rss - before).toBeLessThan(CAP_BYTES);
      expect(FLOOD_BLOCK_BYTES * FLOOD_BLOCKS).toBeGreaterThan(16 * CAP_BYTES);
    });

    it('leaves nothing addressable behind a refused alloc: reading it fails the call', async () => {
      const instance = await load();
      await expect(instance.call('probe_refused', text(''))).rejects.toMatchObject({
        code: 'memory_limit',
      });
      await stillWorks(instance);
    });

    it('bounds the live blocks by the cap, and frees give the room back', async () => {
      const instance = await load({ limits: { maxMemoryPages: 64 } });
      // 1 MiB blocks under a 4 MiB cap, which the 2-byte input also counts against.
      const kept = await instance.call('alloc_until_refused', Uint8Array.of(16, 0));
      expect(u64(kept.output)).toBe(3n);
      const freed = await instance.call('alloc_until_refused', Uint8Array.of(16, 1));
      expect(u64(freed.output)).toBe(500n);
    });

    it('ignores a free of handles the plugin never got (far, negative, zero, unallocated) and a double free', async () => {
      const instance = await load();
      expect(
        new TextDecoder().decode((await instance.call('free_forged', text('ok'))).output),
      ).toBe('ok');
    });

    it.each([
      ['store_u64 straddling the end of a block', 'store_u64_past_end'],
      ['store_u8 one byte before a block', 'store_u8_before_start'],
      ['output_set with a negative length', 'output_negative_length'],
      ['output_set with a huge length', 'output_huge_length'],
    ])('fails %s as a trap', async (_, fn) => {
      const instance = await load();
      await expect(instance.call(fn, text(''))).rejects.toMatchObject({ code: 'trap' });
      await stillWorks(instance);
    });
  });

  it('fails the call even when the plugin catches the kernel fault and goes on', async () => {
    const catcher = await wat(
      `(module
        (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
        (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
        (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
        (func (export "run") (result i32) (local $h i64)
          (try (do (call $store_u8 (i64.shl (i64.const 9) (i64.const 48)) (i32.const 1)))
            (catch_all))
          (local.set $h (call $alloc (i64.const 1)))
          (call $output_set (local.get $h) (i64.const 1))
          (i32.const 0)))`,
      { exceptions: true },
    );
    const instance = await makeRuntime().load(catcher.bytes, catcher.sha256, {
      identity: { id: 'kernel.catcher', version: '1.0.0', trust: 'untrusted' },
      grants: {},
    });
    loaded.push(instance);
    await expect(instance.call('run', text(''))).rejects.toMatchObject({ code: 'trap' });
  });

  describe('kernel calls count toward maxHostCalls', () => {
    it.each([
      ['alloc', 'alloc_loop'],
      ['var_set', 'var_set_loop'],
      ['config_get', 'config_get_loop'],
      ['log_error', 'log_loop'],
    ])('a %s flood ends with host_call_limit', async (_, fn) => {
      const instance = await load({ limits: { maxHostCalls: 100 } });
      await expect(instance.call(fn, text(''))).rejects.toMatchObject({
        code: 'host_call_limit',
        resources: { host_calls: 101 },
      });
      await stillWorks(instance);
    });
  });

  describe('vars and config', () => {
    it('refuses 4 MiB var keys with empty values (Extism counted only values)', async () => {
      const instance = await load();
      await expect(instance.call('var_huge_keys', text(''))).rejects.toMatchObject({
        code: 'memory_limit',
      });
    });

    it('refuses a var value over the var cap with memory_limit', async () => {
      const instance = await load();
      await expect(instance.call('var_huge_value', text(''))).rejects.toMatchObject({
        code: 'memory_limit',
      });
      await stillWorks(instance);
    });

    it('keeps a var from one call to the next on the same instance', async () => {
      const instance = await load();
      await instance.call('var_put', text('remembered'));
      const { output, resources } = await instance.call('var_fetch', text(''));
      expect(new TextDecoder().decode(output)).toBe('remembered');
      expect(resources.host_calls).toBeGreaterThanOrEqual(2);
    });

    it('answers config_get with 0: plugins get no Extism config', async () => {
      const instance = await load();
      expect(u64((await instance.call('config_fetch', text(''))).output)).toBe(0n);
    });
  });

  describe('log_*', () => {
    it('routes every level through the log host function, never to the operator log directly', async () => {
      const instance = await load();
      const { resources } = await instance.call('log_levels', text('line\u001b[2J\nforged'));
      expect(events).toEqual(
        ['debug', 'debug', 'info', 'warn', 'error'].map((level) => ({
          kind: 'log',
          event: { level, message: 'line\u001b[2J\nforged' },
        })),
      );
      expect(resources.host_calls).toBe(10); // five allocs, five logs
      expect(logged).toEqual([]);
    });

    it('decodes invalid UTF-8 with replacement characters', async () => {
      const instance = await load();
      await instance.call('log_levels', Uint8Array.of(0xff, 0xfe, 0x41));
      expect(events[0]).toEqual({
        kind: 'log',
        event: { level: 'debug', message: '\uFFFD\uFFFDA' },
      });
    });

    it('reads only the head of an 8 MiB message that the log function can keep, and hands it over as one message', async () => {
      const instance = await load({ limits: { maxMemoryPages: 256 } });
      await instance.call('log_8mib', text(''));
      expect(logged).toEqual([]);
      expect(events).toHaveLength(1);
      const { message } = events[0].event as { message: string };
      expect(message.length).toBeGreaterThan(POLICY.maxLogBytes);
      expect(message.length).toBeLessThanOrEqual(logMessageHeadBytes(POLICY.maxLogBytes, []));
      expect(message.startsWith('aaaaaaa\naaaaaaa\n')).toBe(true);
    });
  });
});
