import { FUEL_GLOBAL_EXPORT, instrumentFuel, START_EXPORT } from './instrument-fuel.js';
import { wat } from './testing/hostile-modules.js';
import { readWasmFixture } from './testing/plugin-fixtures.js';
import { readSections, SectionId, writeSections } from './wasm-sections.js';

type Fn = (...args: number[]) => number;

const LOOP = `(module (func (export "count") (param $n i32) (result i32) (local $i i32)
  (loop $next (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
  (local.get $i)))`;

/** Instruments `source`, checks the result validates, and sets `budget` as the fuel left. */
async function metered(source: string, budget: bigint, imports: WebAssembly.Imports = {}) {
  const bytes = instrumentFuel((await wat(source)).bytes);
  expect(WebAssembly.validate(bytes)).toBe(true);
  const { instance } = await WebAssembly.instantiate(bytes, imports);
  const fuel = instance.exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global;
  fuel.value = budget;
  return {
    exports: instance.exports,
    fn: (name: string) => instance.exports[name] as Fn,
    used: () => Number(budget - (fuel.value as bigint)),
  };
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('instrumentFuel: what a call spends', () => {
  it('spends one unit on entering a function with a loop, then one per turn', async () => {
    const { fn, used } = await metered(LOOP, 1_000_000n);
    expect(fn('count')(1000)).toBe(1000);
    expect(used()).toBe(1001);
  });

  it('traps with unreachable once the budget is spent, leaving nothing', async () => {
    const { fn, used } = await metered(LOOP, 500n);
    expect(() => fn('count')(1000)).toThrow(WebAssembly.RuntimeError);
    expect(used()).toBe(500);
  });

  it('counts every turn of nested loops', async () => {
    const { fn, used } = await metered(
      `(module (func (export "grid") (param $rows i32) (param $cols i32) (result i32)
        (local $r i32) (local $c i32) (local $cells i32)
        (loop $row
          (local.set $c (i32.const 0))
          (loop $col
            (local.set $cells (i32.add (local.get $cells) (i32.const 1)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br_if $col (i32.lt_u (local.get $c) (local.get $cols))))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br_if $row (i32.lt_u (local.get $r) (local.get $rows))))
        (local.get $cells)))`,
      1000n,
    );
    expect(fn('grid')(3, 4)).toBe(12);
    expect(used()).toBe(1 + 3 + 12);
  });

  it('spends nothing in a leaf: no loop, and calls to host imports only', async () => {
    const { fn, used } = await metered(
      `(module (import "env" "twice" (func $twice (param i32) (result i32)))
        (func $add (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
        (func (export "host") (param i32) (result i32) (call $twice (local.get 0)))
        (func (export "caller") (param i32) (result i32) (call $add (local.get 0) (i32.const 1))))`,
      100n,
      { env: { twice: (n: number) => 2 * n } },
    );
    expect([fn('add')(2, 3), fn('host')(4)]).toEqual([5, 8]);
    expect(used()).toBe(0);
  });

  it('runs a loop-free function calling only leaves unchecked, and checks one calling it', async () => {
    const { fn, used } = await metered(
      `(module
        (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
        (func $relay (export "relay") (param i32) (result i32) (call $leaf (call $leaf (local.get 0))))
        (func (export "outer") (param i32) (result i32) (call $relay (local.get 0))))`,
      100n,
    );
    expect(fn('relay')(1)).toBe(3);
    expect(used()).toBe(0);
    expect(fn('outer')(1)).toBe(3);
    expect(used()).toBe(1);
  });

  it('stops recursion through loop-free functions within the budget', async () => {
    const { fn, used } = await metered(
      `(module
        (func $ping (param i32) (result i32) (call $pong (i32.add (local.get 0) (i32.const 1))))
        (func $pong (param i32) (result i32) (call $ping (local.get 0)))
        (func (export "forever") (result i32) (call $ping (i32.const 0))))`,
      500n,
    );
    expect(() => fn('forever')()).toThrow(WebAssembly.RuntimeError);
    expect(used()).toBe(500);
  });

  it('checks loops with a result or with parameters, and keeps multi-value blocks', async () => {
    const { fn, used } = await metered(
      `(module
        (type $step (func (param i32) (result i32)))
        (type $pair (func (param i32) (result i32 i32)))
        (func (export "first_over") (param $limit i32) (result i32) (local $i i32)
          (loop $next (result i32)
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $next (i32.le_u (local.get $i) (local.get $limit)))
            (local.get $i)))
        (func (export "countdown") (param $n i32) (result i32)
          local.get $n
          loop $next (type $step) (param i32) (result i32)
            i32.const 1
            i32.sub
            local.tee $n
            local.get $n
            br_if $next
          end)
        (func (export "split") (param $n i32) (result i32)
          local.get $n
          block (type $pair) (param i32) (result i32 i32)
            i32.const 100
          end
          i32.add))`,
      1000n,
    );
    expect(fn('first_over')(3)).toBe(4);
    expect(used()).toBe(1 + 4);
    expect(fn('countdown')(5)).toBe(0);
    expect(used()).toBe(5 + 1 + 5);
    expect(fn('split')(5)).toBe(105);
    expect(used()).toBe(11);
  });

  it('stops unbounded recursion at its budget, before the stack overflows', async () => {
    const { fn, used } = await metered(
      `(module (func $down (export "down") (param i32) (result i32)
        (i32.add (call $down (local.get 0)) (i32.const 1))))`,
      1000n,
    );
    expect(() => fn('down')(0)).toThrow(/unreachable/);
    expect(used()).toBe(1000);
  });
});

describe('instrumentFuel: the module it writes', () => {
  it('defers the start function to an export, so instantiation runs no plugin code', async () => {
    const { exports } = await metered(
      `(module (global $g (export "g") (mut i32) (i32.const 0))
        (func $start (global.set $g (i32.const 7))) (start $start))`,
      100n,
    );
    expect((exports.g as WebAssembly.Global).value).toBe(0);
    (exports[START_EXPORT] as () => void)();
    expect((exports.g as WebAssembly.Global).value).toBe(7);
  });

  it.each([
    ['no export section', '(module (func (loop)))', [FUEL_GLOBAL_EXPORT]],
    ['an export section', LOOP, ['count', FUEL_GLOBAL_EXPORT]],
  ])('exports the fuel global from a module with %s', async (_case, source, names) => {
    const bytes = instrumentFuel((await wat(source)).bytes);
    const exports = WebAssembly.Module.exports(new WebAssembly.Module(bytes));
    expect(exports.map((e) => e.name)).toEqual(names);
  });

  it('adds the fuel global after the imported and defined ones, which keep working', async () => {
    const base = new WebAssembly.Global({ value: 'i32' }, 10);
    const { fn, exports } = await metered(
      `(module (import "env" "base" (global $base i32)) (global $own (mut i32) (i32.const 5))
        (func (export "read") (result i32) (i32.add (global.get $base) (global.get $own))))`,
      3n,
      { env: { base } },
    );
    expect(fn('read')()).toBe(15);
    expect((exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global).value).toBe(3n);
  });

  it('keeps the sections it does not rewrite byte for byte, and needs no import', () => {
    const note = (text: string) => ({
      id: SectionId.custom,
      payload: new TextEncoder().encode(text),
    });
    const fixture = writeSections([
      note('\u0005first'),
      ...readSections(readWasmFixture('greet.wasm').bytes),
      note('\u0004last'),
    ]);
    const bytes = instrumentFuel(fixture);
    const rewritten = new Set<number>([
      SectionId.code,
      SectionId.global,
      SectionId.export,
      SectionId.start,
    ]);
    const kept = (module: Uint8Array) =>
      readSections(module)
        .filter((section) => !rewritten.has(section.id))
        .map((section) => [section.id, [...section.payload]]);
    expect(kept(bytes)).toEqual(kept(fixture));
    expect(WebAssembly.Module.imports(new WebAssembly.Module(bytes))).toEqual(
      WebAssembly.Module.imports(new WebAssembly.Module(fixture)),
    );
  });

  it.each(['greet.wasm', 'fixtures.wasm', 'bench.wasm', 'hostile.wasm'] as const)(
    'instruments the example module %s into one that validates',
    (file) => {
      expect(WebAssembly.validate(instrumentFuel(readWasmFixture(file).bytes))).toBe(true);
    },
  );
});

describe('instrumentFuel: refusals', () => {
  it('refuses an atomic instruction, naming it and its function', async () => {
    const atomic = await wat(
      `(module (memory 1 1 shared) (func $leaf) (func (export "run") (result i32)
        (i32.atomic.load (i32.const 0))))`,
      { threads: true },
    );
    expect(thrown(() => instrumentFuel(atomic.bytes))).toMatchObject({
      code: 'module_invalid',
      message: 'unsupported instruction 0xfe in function 1',
    });
  });

  it('refuses bytes that are not wasm as module_invalid', () => {
    expect(thrown(() => instrumentFuel(new TextEncoder().encode('not wasm')))).toMatchObject({
      code: 'module_invalid',
    });
  });
});
