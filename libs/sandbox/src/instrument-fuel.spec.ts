import { FUEL_GLOBAL_EXPORT, FUEL_REFILL_IMPORT, instrumentFuel } from './instrument-fuel.js';
import { readWasmFixture } from './testing/plugin-fixtures.js';
import { wat } from './testing/hostile-modules.js';

const LOOP = `(module (func (export "count") (param $n i32) (result i32) (local $i i32)
  (loop $next (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
  (local.get $i)))`;

async function instantiate(source: string, budget: bigint) {
  const bytes = await instrumentFuel((await wat(source)).bytes);
  let left = budget;
  const { instance } = await WebAssembly.instantiate(bytes, {
    'extism:host/user': {
      [FUEL_REFILL_IMPORT]: () => {
        const chunk = left < 1000n ? left : 1000n;
        left -= chunk;
        return chunk;
      },
    },
  });
  const fuel = instance.exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global;
  const used = () => Number(budget - left) - Number(fuel.value as bigint);
  return { count: instance.exports.count as (n: number) => number, used };
}

describe('instrumentFuel', () => {
  it('keeps the code working and counts one unit per loop turn, entry and exit', async () => {
    const { count, used } = await instantiate(LOOP, 1_000_000n);
    expect(count(1000)).toBe(1000);
    expect(used()).toBe(1002);
  });

  it('traps with unreachable once the budget is spent', async () => {
    const { count, used } = await instantiate(LOOP, 500n);
    expect(() => count(1000)).toThrow(WebAssembly.RuntimeError);
    expect(used()).toBe(500);
  });

  it('produces a valid module from AssemblyScript output', async () => {
    const bytes = await instrumentFuel(readWasmFixture('greet.wasm').bytes);
    expect(WebAssembly.validate(bytes)).toBe(true);
    expect(WebAssembly.Module.imports(new WebAssembly.Module(bytes))).toContainEqual({
      module: 'extism:host/user',
      name: FUEL_REFILL_IMPORT,
      kind: 'function',
    });
  });

  it('refuses bytes that are not wasm as module_invalid', async () => {
    await expect(instrumentFuel(new TextEncoder().encode('not wasm'))).rejects.toMatchObject({
      code: 'module_invalid',
    });
  });
});
