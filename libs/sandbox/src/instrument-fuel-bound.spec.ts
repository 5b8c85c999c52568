// What one unit of fuel buys is bounded by a constant, not by function sizes: loop-free code pays
// for its instructions (and locals to zero) in units of K, however it is split into functions.
import { FUEL_GLOBAL_EXPORT, instrumentFuel } from './instrument-fuel.js';
import { FUEL_INSTRUCTIONS_PER_UNIT as K } from './meter-code.js';
import { wat } from './testing/hostile-modules.js';
import { runInChild } from './testing/sandbox-child.js';

type Fn = (...args: number[]) => number;

/** Instruments `source`, checks the result validates, and sets `budget` as the fuel left. */
async function metered(
  source: string,
  budget: bigint,
  features = {},
  imports: WebAssembly.Imports = {},
) {
  const bytes = instrumentFuel((await wat(source, features)).bytes);
  expect(WebAssembly.validate(bytes)).toBe(true);
  const { instance } = await WebAssembly.instantiate(bytes, imports);
  const fuel = instance.exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global;
  fuel.value = budget;
  return {
    fn: (name: string) => instance.exports[name] as Fn,
    left: () => fuel.value as bigint,
    used: () => Number(budget - (fuel.value as bigint)),
  };
}

// Four instructions: global.get, i64.const, i64.mul, global.set.
const STEP = '(global.set $g (i64.mul (global.get $g) (i64.const 7)))';

// `leafOps` steps in a loop-free leaf, called `calls` times by a loop-free middle function.
const PRODUCT = (leafOps: number, calls: number) => `(module
  (memory (export "memory") 1)
  (global $g (mut i64) (i64.const 3))
  (func $leaf ${STEP.repeat(leafOps)})
  (func $mid ${'(call $leaf)'.repeat(calls)})
  (func (export "run") (result i32) (call $mid) (i32.const 0)))`;

// A loop whose turn calls a loop-free function with 10,000 v128 locals to zero (the most a
// function may declare, module-limits.ts).
const LOCALS = `(module
  (memory (export "memory") 1)
  (func $heavy (local ${'v128 '.repeat(10_000)}))
  (func (export "run") (result i32) (loop $again (call $heavy) (br $again)) (i32.const 0))
  (func $turns (export "turns") (param $n i32) (local $i i32)
    (loop $again (call $heavy)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (local.get $n)))))
  (func (export "hundred") (result i32) (call $turns (i32.const 100)) (i32.const 0)))`;

describe('instrumentFuel: a unit of fuel pays for at most K instructions', () => {
  it('is K = 1000', () => {
    expect(K).toBe(1000);
  });

  it('charges a loop-free function for each call of a large loop-free leaf', async () => {
    const { fn, used } = await metered(PRODUCT(2000, 500), 1_000_000_000n);
    fn('run')();
    // Each leaf run: 2000 steps and its end; mid: 500 calls and its end; run: 3 instructions.
    const executed = 500 * (4 * 2000 + 1) + 501 + 3;
    expect(used()).toBeGreaterThanOrEqual(executed / K);
  });

  it('stops the 2e9-instruction product at fuel 10 with cpu_limit, at once', async () => {
    const { bytes } = await wat(PRODUCT(25_000, 20_000));
    const outcome = await runInChild(
      { bytes, limits: { fuel: 10, wallTimeMs: 8000 }, calls: ['run'] },
      60_000,
    );
    expect(outcome.report?.calls[0]).toMatchObject({ ok: false, code: 'cpu_limit' });
    expect(outcome.report?.resources[0]?.wall_ms).toBeLessThan(100);
  }, 90_000);

  it('charges the locals a function zeroes on entry, in proportion', async () => {
    const { fn, used } = await metered(LOCALS, 1_000_000_000n, { simd: true });
    fn('turns')(100);
    expect(used()).toBeGreaterThanOrEqual((100 * 10_000) / K);
  });

  it('reports that fuel from a sandboxed call, and stops the endless loop of it with cpu_limit', async () => {
    const { bytes } = await wat(LOCALS, { simd: true });
    const outcome = await runInChild(
      { bytes, limits: { fuel: 200_000, wallTimeMs: 20_000 }, calls: ['hundred', 'run'] },
      60_000,
    );
    expect(outcome.report?.calls).toMatchObject([{ ok: true }, { ok: false, code: 'cpu_limit' }]);
    // Before the bound, 101: one unit a turn.
    expect(outcome.report?.resources[0]?.fuel_used).toBeGreaterThanOrEqual((100 * 10_000) / K);
  }, 90_000);

  it('charges a loop turn for a body larger than K in proportion', async () => {
    const { fn, used } = await metered(
      `(module (global $g (mut i64) (i64.const 3))
        (func (export "run") (param $n i32) (local $i i32)
          (loop $again ${STEP.repeat(3000)}
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $again (i32.lt_u (local.get $i) (local.get $n))))))`,
      1_000_000n,
    );
    fn('run')(10);
    expect(used()).toBeGreaterThanOrEqual((10 * 4 * 3000) / K);
  });

  it('charges each indirect call as the largest unchecked function it could run', async () => {
    const { fn, used } = await metered(
      `(module (global $g (mut i64) (i64.const 3)) (type $v (func))
        (table 1 funcref) (elem (i32.const 0) $leaf)
        (func $leaf ${STEP.repeat(240)})
        (func (export "run") ${'(call_indirect (type $v) (i32.const 0))'.repeat(200)}))`,
      1_000_000n,
    );
    fn('run')();
    expect(used()).toBeGreaterThanOrEqual((200 * (4 * 240 + 1)) / K);
  });

  it('leaves a helper of K instructions unchecked, and checks one of K + 1', async () => {
    const helper = (size: number) => `(func (export "h") ${'(nop)'.repeat(size - 1)})`;
    const small = await metered(`(module ${helper(K)})`, 100n);
    small.fn('h')();
    expect(small.used()).toBe(0);
    const large = await metered(`(module ${helper(K + 1)})`, 100n);
    large.fn('h')();
    expect(large.used()).toBe(2);
  });

  it('leaves the budget spent when a charge of several units traps', async () => {
    const { fn, left } = await metered(`(module (func (export "h") ${'(nop)'.repeat(5000)}))`, 3n);
    expect(() => fn('h')()).toThrow(/unreachable/);
    expect(left()).toBeLessThanOrEqual(0n);
  });
});

/**
 * A module whose export `turns` runs loop turns of `body` 240 times until its fuel runs out, and
 * `done` says how many turns it finished.
 */
const TURNS = (body: string, declarations = '') => `(module
  (import "env" "host" (func $host (param i64) (result i64)))
  (memory 1)
  (data $d "abcd")
  (table $t 4 funcref)
  (elem $e func $empty)
  (tag $oops)
  (global $done (mut i32) (i32.const 0))
  ${declarations}
  (func $empty)
  (func (export "turns")
    (loop $again
      ${body.repeat(240)}
      (global.set $done (i32.add (global.get $done) (i32.const 1)))
      (br $again)))
  (func (export "done") (result i32) (global.get $done)))`;

/** Turns of `body` that fuel of `budget` paid for before it ran out. */
async function turnsPaid(body: string, budget: number): Promise<number> {
  const { fn } = await metered(
    TURNS(body),
    BigInt(budget),
    { exceptions: true },
    { env: { host: (x: bigint) => x } },
  );
  expect(() => fn('turns')()).toThrow(/unreachable/);
  return fn('done')();
}

describe('instrumentFuel: instructions far dearer than a plain one are charged what they cost', () => {
  // Budget of the attack that found them: 240 of one instruction a turn on fuel 2000 ran 2000
  // turns (480,000 throws and catches, about 0.5 s), one unit a turn.
  const BUDGET = 2000;

  it.each([
    // What each costs at least, in plain instructions (instruction-costs.ts has the measures).
    ['throw and its catch', '(try (do (throw $oops)) (catch $oops))', 4000],
    [
      'rethrow',
      '(try (do (try (do (throw $oops)) (catch $oops (rethrow 0)))) (catch $oops))',
      8000,
    ],
    ['memory.fill of nothing', '(memory.fill (i32.const 0) (i32.const 0) (i32.const 0))', 900],
    ['memory.grow by 0', '(drop (memory.grow (i32.const 0)))', 900],
    ['memory.copy of nothing', '(memory.copy (i32.const 0) (i32.const 0) (i32.const 0))', 64],
    ['memory.init of nothing', '(memory.init $d (i32.const 0) (i32.const 0) (i32.const 0))', 64],
    ['table.init of nothing', '(table.init $t $e (i32.const 0) (i32.const 0) (i32.const 0))', 64],
    ['table.copy of nothing', '(table.copy (i32.const 0) (i32.const 0) (i32.const 0))', 64],
    ['table.fill of nothing', '(table.fill $t (i32.const 0) (ref.null func) (i32.const 0))', 64],
    ['table.grow by 0', '(drop (table.grow $t (ref.null func) (i32.const 0)))', 64],
    ['table.set', '(table.set $t (i32.const 0) (ref.null func))', 64],
    ['a call of an import (a kernel call)', '(drop (call $host (i64.const 0)))', 200],
  ])('stops a loop of 240 %s a turn within its fuel', async (_name, body, instructions) => {
    const done = await turnsPaid(body, BUDGET);
    // Each turn costs at least 240 × instructions / K units.
    expect(done).toBeLessThanOrEqual(Math.floor(BUDGET / Math.ceil((240 * instructions) / K)));
  });

  it('still charges one unit a turn for plain instructions', async () => {
    expect(await turnsPaid('(nop)', BUDGET)).toBe(BUDGET - 1);
  });
});

/** A deterministic pseudo-random generator (mulberry32). */
function random(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
  };
}

interface GeneratedFunction {
  locals: number;
  steps: number;
  callees: number[];
}

/** Function i calls only functions after it: a loop-free call graph without cycles. */
function callTree(next: (below: number) => number): GeneratedFunction[] {
  const count = 2 + next(7);
  const size = () => (next(4) === 0 ? next(900) : next(40));
  return Array.from({ length: count }, (_, i) => ({
    locals: next(5) === 0 ? next(3000) : next(8),
    steps: size(),
    callees:
      i === count - 1
        ? []
        : Array.from({ length: next(next(3) === 0 ? 60 : 5) }, () => i + 1 + next(count - i - 1)),
  }));
}

/** Instructions and locals one call of each function runs, its callees' included. */
function work(tree: readonly GeneratedFunction[]): number[] {
  const done: number[] = [];
  for (let i = tree.length - 1; i >= 0; i--) {
    const { locals, steps, callees } = tree[i];
    // Each step is 4 instructions, each call 1, and the function's end 1.
    const own = locals + 4 * steps + callees.length + 1;
    done[i] = own + callees.reduce((total, callee) => total + done[callee], 0);
  }
  return done;
}

function treeModule(tree: readonly GeneratedFunction[]): string {
  const functions = tree.map(
    ({ locals, steps, callees }, i) =>
      `(func $f${i} (export "f${i}") ${locals ? `(local ${'i32 '.repeat(locals)})` : ''}
        ${STEP.repeat(steps)} ${callees.map((callee) => `(call $f${callee})`).join(' ')})`,
  );
  return `(module (global $g (mut i64) (i64.const 3)) ${functions.join('\n')})`;
}

describe('instrumentFuel on generated loop-free call trees', () => {
  const seeds = Array.from({ length: 40 }, (_, i) => 1000 + i);

  it.each(seeds)('charges at least a unit per K instructions run (seed %i)', async (seed) => {
    const tree = callTree(random(seed));
    const executed = work(tree);
    const { fn, used } = await metered(treeModule(tree), 1n << 40n);
    for (let i = 0; i < tree.length; i++) {
      const before = used();
      fn(`f${i}`)();
      // An unchecked function the host enters runs free: at most K.
      expect(executed[i]).toBeLessThanOrEqual(K * (used() - before + 1));
    }
  });
});
