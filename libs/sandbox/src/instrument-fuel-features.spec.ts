import wabtInit from 'wabt';
import { FUEL_GLOBAL_EXPORT, instrumentFuel } from './instrument-fuel.js';
import { wat } from './testing/hostile-modules.js';

type Run = (n: number) => number;

// Each module exports `run`, with loops or calls where the proposal allows them.
const MODULES: [feature: string, source: string, input: number][] = [
  [
    'SIMD',
    `(module (memory 1)
      (func (export "run") (param $n i32) (result i32) (local $acc v128) (local $i i32)
        (v128.store (i32.const 0) (v128.const i32x4 1 2 3 4))
        (loop $next
          (local.set $acc (i32x4.add (local.get $acc) (v128.load (i32.const 0))))
          (local.set $acc (v128.load32_lane 1 (i32.const 4) (local.get $acc)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
        (i32x4.extract_lane 3 (i8x16.shuffle 12 13 14 15 8 9 10 11 4 5 6 7 0 1 2 3
          (local.get $acc) (local.get $acc)))))`,
    5,
  ],
  [
    'bulk memory, sign extension and saturating truncation',
    `(module (memory 1) (data $d "hello")
      (func (export "run") (param $n i32) (result i32)
        (memory.init $d (i32.const 0) (i32.const 0) (i32.const 5))
        (memory.copy (i32.const 10) (i32.const 0) (i32.const 5))
        (memory.fill (i32.const 20) (local.get $n) (i32.const 3))
        (data.drop $d)
        (i32.add (i32.add (i32.load8_u (i32.const 14)) (i32.load8_u (i32.const 22)))
          (i32.add (i32.extend8_s (i32.const 255)) (i32.trunc_sat_f32_s (f32.const 1e10))))))`,
    7,
  ],
  [
    'reference types',
    `(module (table $t 2 funcref) (elem declare func $seven) (type $give (func (result i32)))
      (func $seven (result i32) (i32.const 7))
      (func (export "run") (param $n i32) (result i32)
        (table.set $t (i32.const 1) (ref.func $seven))
        (drop (table.grow $t (ref.null func) (local.get $n)))
        (table.fill $t (i32.const 2) (ref.func $seven) (i32.const 1))
        (select (result i32)
          (i32.add (table.size $t) (call_indirect $t (type $give) (i32.const 2)))
          (i32.const -1)
          (ref.is_null (table.get $t (i32.const 0))))))`,
    3,
  ],
  [
    'tail calls',
    `(module (type $step (func (param i32 i32) (result i32))) (table 1 funcref) (elem (i32.const 0) $count)
      (func $count (param $n i32) (param $acc i32) (result i32)
        (if (result i32) (i32.eqz (local.get $n))
          (then (local.get $acc))
          (else (return_call_indirect (type $step)
            (i32.sub (local.get $n) (i32.const 1)) (i32.add (local.get $acc) (i32.const 2))
            (i32.const 0)))))
      (func (export "run") (param $n i32) (result i32) (return_call $count (local.get $n) (i32.const 0))))`,
    100_000,
  ],
  [
    'legacy exception handling',
    `(module (tag $e (param i32))
      (func $throw (param i32) (throw $e (local.get 0)))
      (func (export "run") (param $n i32) (result i32)
        (try $outer (result i32)
          (do (try (do (call $throw (local.get $n))) (delegate $outer)) (i32.const 0))
          (catch $e (try (result i32) (do (call $throw (i32.const 1)) (i32.const 0))
            (catch_all (i32.const 100)))
            (i32.add))
          (catch_all (i32.const -1)))))`,
    4,
  ],
];

const features = { exceptions: true, tail_call: true };

describe('instrumentFuel on post-MVP features', () => {
  it.each(MODULES)('keeps %s modules valid and their results unchanged', async (_f, source, n) => {
    const original = Uint8Array.from((await wat(source, features)).bytes);
    const bytes = instrumentFuel(original);
    expect(WebAssembly.validate(bytes)).toBe(true);
    const bare = new WebAssembly.Instance(new WebAssembly.Module(original)).exports;
    const metered = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
    (metered[FUEL_GLOBAL_EXPORT] as WebAssembly.Global).value = 1_000_000n;
    expect((metered.run as Run)(n)).toBe((bare.run as Run)(n));
  });

  it('meters try_table and throw_ref, which Node 20 cannot run, into a module wabt validates', async () => {
    const source = `(module (tag $e (param i32))
      (func (export "run") (param $n i32) (result i32)
        (block $caught (result i32 exnref)
          (loop $again
            (try_table (catch_ref $e $caught) (catch_all $again)
              (throw $e (local.get $n))))
          (i32.const 0) (ref.null exn))
        (drop))
      (func (export "rethrow")
        (block $caught (result exnref)
          (try_table (catch_all_ref $caught) (throw $e (i32.const 1)))
          (return))
        (throw_ref)))`;
    const bytes = instrumentFuel((await wat(source, features)).bytes);
    const wabt = await wabtInit();
    const module = wabt.readWasm(bytes, { readDebugNames: false, ...features });
    try {
      expect(() => module.validate()).not.toThrow();
    } finally {
      module.destroy();
    }
  });
});
