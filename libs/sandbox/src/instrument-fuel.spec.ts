import { FUEL_GLOBAL_EXPORT, instrumentFuel, START_EXPORT } from './instrument-fuel.js';
import { readWasmFixture } from './testing/plugin-fixtures.js';
import { wat } from './testing/hostile-modules.js';

const LOOP = `(module (func (export "count") (param $n i32) (result i32) (local $i i32)
  (loop $next (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
  (local.get $i)))`;

async function instantiate(source: string, budget: bigint) {
  const bytes = await instrumentFuel((await wat(source)).bytes);
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const fuel = instance.exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global;
  fuel.value = budget;
  const used = () => Number(budget - (fuel.value as bigint));
  return { instance, count: instance.exports.count as (n: number) => number, used };
}

describe('instrumentFuel', () => {
  it('keeps the code working and counts one unit per loop turn, entry and exit', async () => {
    const { count, used } = await instantiate(LOOP, 1_000_000n);
    expect(count(1000)).toBe(1000);
    expect(used()).toBe(1002);
  });

  it('traps with unreachable once the budget is spent, leaving nothing', async () => {
    const { count, used } = await instantiate(LOOP, 500n);
    expect(() => count(1000)).toThrow(WebAssembly.RuntimeError);
    expect(used()).toBe(500);
  });

  it('needs no import: the check never calls out of the module', async () => {
    const bytes = await instrumentFuel(readWasmFixture('greet.wasm').bytes);
    expect(WebAssembly.validate(bytes)).toBe(true);
    const before = WebAssembly.Module.imports(
      new WebAssembly.Module(readWasmFixture('greet.wasm').bytes),
    );
    expect(WebAssembly.Module.imports(new WebAssembly.Module(bytes))).toEqual(before);
  });

  it('defers the start function to an export, so instantiation runs no plugin code', async () => {
    const source = `(module (global $g (export "g") (mut i32) (i32.const 0))
      (func $start (global.set $g (i32.const 7))) (start $start)
      (func (export "count") (param i32) (result i32) (local.get 0)))`;
    const { instance } = await instantiate(source, 100n);
    expect((instance.exports.g as WebAssembly.Global).value).toBe(0);
    (instance.exports[START_EXPORT] as () => void)();
    expect((instance.exports.g as WebAssembly.Global).value).toBe(7);
  });

  it('refuses bytes that are not wasm as module_invalid', async () => {
    await expect(instrumentFuel(new TextEncoder().encode('not wasm'))).rejects.toMatchObject({
      code: 'module_invalid',
    });
  });
});
