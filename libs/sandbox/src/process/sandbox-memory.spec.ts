import { execFileSync } from 'node:child_process';
import type { CallLimits } from '../call-limits.js';
import type { SandboxError } from '../sandbox-error.js';
import { fitSandboxMemory, sandboxMemoryBudget } from '../sandbox-memory-budget.js';
import type { LoadedSandboxPlugin } from '../sandbox-plugin.js';
import { PLUGIN_WAT, wat, type TestModule } from '../testing/hostile-modules.js';
import { TEST_HOST_FUNCTION_NAMES } from '../testing/test-host-functions.js';
import { TEST_LIMITS, TEST_POLICY } from '../testing/test-policy.js';
import { ProcessSandboxRuntime, type ProcessSandboxPlugin } from './process-sandbox-runtime.js';

// The memory ceiling of a sandbox process holds by construction: a version that could outgrow
// it is refused (or given fewer instances), and one that fits cannot pass it however it
// allocates. The resident-set poll stays as a backstop for what no bound covers.

const MiB = 1024 * 1024;
const text = (value: string) => new TextEncoder().encode(value);
const LIMITS: CallLimits = {
  ...TEST_LIMITS,
  wallTimeMs: 60_000,
  maxMemoryPages: 512,
  maxHostCalls: 100_000,
};
const BLOCK = 16 * MiB;

// Every allocator a plugin reaches, as fast as it can: linear memory grown to its cap and
// written, Extism blocks allocated, written and freed (garbage) 16 times over, then kept until
// one is refused; the call then fails (memory_limit), so the next one runs on a new instance.
const HOG_WAT = `(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "free" (func $free (param i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (memory (export "memory") 1)
  (func $touch (param $h i64) (local $at i64)
    (loop $next
      (call $store_u8 (i64.add (local.get $h) (local.get $at)) (i32.const 1))
      (local.set $at (i64.add (local.get $at) (i64.const 4096)))
      (br_if $next (i64.lt_u (local.get $at) (i64.const ${BLOCK})))))
  (func $block (result i64) (local $h i64)
    (local.set $h (call $alloc (i64.const ${BLOCK})))
    (if (i64.eqz (local.get $h)) (then unreachable))
    (call $touch (local.get $h))
    (local.get $h))
  (func (export "hog") (result i32) (local $i i32)
    (drop (memory.grow (i32.sub (i32.const ${LIMITS.maxMemoryPages}) (memory.size))))
    (memory.fill (i32.const 0) (i32.const 1) (i32.mul (memory.size) (i32.const 65536)))
    (loop $churn
      (call $free (call $block))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $churn (i32.lt_u (local.get $i) (i32.const 16))))
    (loop $keep (drop (call $block)) (br $keep))
    (i32.const 0)))`;

/** Resident set of this process's children (sandbox processes), MiB. */
function childrenRssMiB(): number[] {
  try {
    const out = execFileSync('ps', ['--ppid', String(process.pid), '-o', 'rss='], {
      encoding: 'utf8',
    });
    return out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((kb) => Number(kb) / 1024);
  } catch {
    return []; // ps exits 1 without children
  }
}

describe('ProcessSandboxRuntime: a memory ceiling that holds by construction', () => {
  let plugin: TestModule;
  const crashes: SandboxError[] = [];
  const loaded: LoadedSandboxPlugin[] = [];
  const load = async (
    module: TestModule,
    options: { ceiling: number; instances?: number; limits?: Partial<CallLimits> },
  ): Promise<ProcessSandboxPlugin> => {
    const runtime = new ProcessSandboxRuntime({
      hostFunctionsModule: new URL('../testing/test-host-functions.ts', import.meta.url),
      hostFunctions: TEST_HOST_FUNCTION_NAMES,
      policy: TEST_POLICY,
      defaults: LIMITS,
      instancesPerPlugin: options.instances ?? 1,
      memoryCeilingBytes: options.ceiling,
      onCrash: (_who, error) => crashes.push(error),
    });
    const instance = await runtime.load(module.bytes, module.sha256, {
      identity: { id: 'test.memory', version: '1.0.0', trust: 'untrusted' },
      grants: {},
      ...(options.limits && { limits: options.limits }),
    });
    loaded.push(instance);
    return instance;
  };
  const oneInstance = sandboxMemoryBudget(LIMITS, TEST_POLICY, 1).totalBytes;

  beforeAll(async () => {
    plugin = await wat(PLUGIN_WAT);
  });
  afterEach(async () => {
    crashes.splice(0);
    await Promise.all(loaded.splice(0).map((p) => p.close()));
  });

  it('refuses at load a version one instance of which could outgrow the ceiling', async () => {
    await expect(load(plugin, { ceiling: oneInstance - 1 })).rejects.toMatchObject({
      code: 'memory_ceiling_exceeded',
      message: expect.stringContaining('EXECUTOR_SANDBOX_MEMORY_MB'),
    });
    // The same module asking for a smaller memory cap fits the same ceiling.
    const small = await load(plugin, { ceiling: oneInstance - 1, limits: { maxMemoryPages: 64 } });
    expect(new TextDecoder().decode((await small.call('echo', text('fits'))).output)).toBe('fits');
    expect(crashes).toEqual([]);
  });

  it('gives a version only as many instances as its ceiling holds', async () => {
    const twoFit = sandboxMemoryBudget(LIMITS, TEST_POLICY, 2).totalBytes;
    const p = await load(plugin, { ceiling: twoFit, instances: 8 });
    expect(p.memoryBudget).toMatchObject({ instances: 2, totalBytes: twoFit });
    expect(fitSandboxMemory(twoFit, LIMITS, TEST_POLICY, 8).instances).toBe(2);
  });

  it('keeps a plugin allocating as fast as it can under a ceiling of its worst case', async () => {
    const hog = await load(await wat(HOG_WAT), { ceiling: oneInstance });
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, ...childrenRssMiB())), 20);
    try {
      for (let call = 0; call < 4; call++)
        await expect(hog.call('hog', text(''))).rejects.toMatchObject({ code: 'memory_limit' });
    } finally {
      clearInterval(sampler);
    }
    // Each call was refused a block inside its process, which was never killed for its size.
    expect(crashes).toEqual([]);
    console.info(`hog: peak ${peak.toFixed(0)} MiB, ceiling ${(oneInstance / MiB).toFixed(0)} MiB`);
    expect(peak).toBeLessThan(oneInstance / MiB);
  }, 180_000);

  it('still kills a process above the ceiling for what no bound covers (a host function hoarding memory)', async () => {
    const p = await load(plugin, { ceiling: oneInstance });
    const hoarding = (async () => {
      for (;;) await p.call('call_hoard', text(JSON.stringify({ mib: 64 })));
    })();
    await expect(hoarding).rejects.toMatchObject({ code: 'memory_limit' });
    expect(crashes).toEqual([expect.objectContaining({ code: 'memory_limit' })]);
  }, 60_000);
});
