import {
  BYTES_PER_FUEL,
  FUEL_PER_GROWN_TABLE_ELEMENT,
  FUEL_PER_MEMORY_PAGE_AFTER_GROW,
  FUEL_PER_TABLE_ELEMENT,
} from './bulk-fuel.js';
import { capMemory } from './cap-memory.js';
import { FUEL_GLOBAL_EXPORT, instrumentFuel } from './instrument-fuel.js';
import { wat } from './testing/hostile-modules.js';
import { section, wasmModule } from './testing/wasm-builder.js';
import { SectionId } from './wasm-sections.js';

type Fn = (...args: (number | bigint)[]) => number;
const MiB = 1024 * 1024;

/** Instruments `bytes`, checks the result validates, and sets `budget` as the fuel left. */
async function meteredBytes(bytes: Uint8Array, budget: bigint) {
  const instrumented = instrumentFuel(bytes);
  expect(WebAssembly.validate(instrumented)).toBe(true);
  const { instance } = await WebAssembly.instantiate(instrumented, {});
  const fuel = instance.exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global;
  fuel.value = budget;
  const memory = instance.exports.memory as WebAssembly.Memory | undefined;
  return {
    fn: (name: string) => instance.exports[name] as Fn,
    left: () => fuel.value as bigint,
    used: () => Number(budget - (fuel.value as bigint)),
    byte: (at: number) => new Uint8Array(memory!.buffer)[at],
    pages: () => memory!.buffer.byteLength / 65536,
  };
}

const metered = async (source: string, budget: bigint) =>
  meteredBytes((await wat(source)).bytes, budget);

describe('instrumentFuel: bulk instructions pay for what they touch, before they run', () => {
  it('has the documented rates', () => {
    expect([
      BYTES_PER_FUEL,
      FUEL_PER_TABLE_ELEMENT,
      FUEL_PER_GROWN_TABLE_ELEMENT,
      FUEL_PER_MEMORY_PAGE_AFTER_GROW,
    ]).toEqual([16, 64, 1024, 8192]);
  });

  // Each function is loop-free and calls nothing, so it runs unchecked: all it spends is the charge.
  it.each([
    ['memory.fill', 1600, 100, '(memory.fill (i32.const 0) (i32.const 1) (local.get 0))'],
    ['memory.copy', 1600, 100, '(memory.copy (i32.const 1) (i32.const 0) (local.get 0))'],
    ['memory.init', 1600, 100, '(memory.init $passive (i32.const 0) (i32.const 0) (local.get 0))'],
    [
      'memory.fill (below one unit)',
      15,
      0,
      '(memory.fill (i32.const 0) (i32.const 1) (local.get 0))',
    ],
    ['table.fill', 10, 640, '(table.fill $t (i32.const 0) (ref.null func) (local.get 0))'],
    ['table.copy', 10, 640, '(table.copy $t $t (i32.const 1) (i32.const 0) (local.get 0))'],
    ['table.init', 10, 640, '(table.init $t $elems (i32.const 0) (i32.const 0) (local.get 0))'],
    // 1024 per element added, 1 per element the table held (20).
    ['table.grow', 10, 10 * 1024 + 20, '(drop (table.grow $t (ref.null func) (local.get 0)))'],
    // Every page of the memory after the grow: 1 + 2.
    ['memory.grow', 2, 3 * 8192, '(drop (memory.grow (local.get 0)))'],
  ])('charges %s of %i items in proportion: %i fuel', async (_, count, cost, instruction) => {
    const { fn, used } = await metered(
      `(module (memory (export "memory") 1 4) (table $t 20 40 funcref)
        (data $passive "${'x'.repeat(1600)}")
        (elem $elems func ${'$op '.repeat(10)})
        (func $op (export "op") (param i32) ${instruction}))`,
      1_000_000n,
    );
    fn('op')(count);
    expect(used()).toBe(cost);
  });

  it('traps before a 64 MiB fill it cannot pay for: not one byte is written', async () => {
    const { fn, left, byte } = await metered(
      `(module (memory (export "memory") 1024)
        (func (export "fill") (memory.fill (i32.const 0) (i32.const 7) (i32.const ${64 * MiB}))))`,
      BigInt((64 * MiB) / BYTES_PER_FUEL - 1),
    );
    expect(() => fn('fill')()).toThrow(WebAssembly.RuntimeError);
    expect(left()).toBeLessThan(0n);
    expect([byte(0), byte(64 * MiB - 1)]).toEqual([0, 0]);
  });

  it('runs a 64 MiB fill it can pay for exactly', async () => {
    const { fn, left, byte } = await metered(
      `(module (memory (export "memory") 1024)
        (func (export "fill") (memory.fill (i32.const 0) (i32.const 7) (i32.const ${64 * MiB}))))`,
      BigInt((64 * MiB) / BYTES_PER_FUEL),
    );
    fn('fill')();
    expect([left(), byte(64 * MiB - 1)]).toEqual([0n, 7]);
  });

  it('stops 1000 fills of 64 MiB through loop-free functions at the first, with 10 fuel', async () => {
    const { fn, byte } = await metered(
      `(module (memory (export "memory") 1024)
        (func $fill (memory.fill (i32.const 0) (i32.const 7) (i32.const ${64 * MiB})))
        (func $fill10 ${'(call $fill) '.repeat(10)})
        (func (export "run") ${'(call $fill10) '.repeat(100)}))`,
      10n,
    );
    expect(() => fn('run')()).toThrow(WebAssembly.RuntimeError);
    expect(byte(0)).toBe(0);
  });

  it('charges memory.copy of overlapping 64 MiB ranges before it moves a byte', async () => {
    const { fn, byte } = await metered(
      `(module (memory (export "memory") 1024) (data (i32.const 0) "\\07")
        (func (export "shift") (memory.copy (i32.const 1) (i32.const 0) (i32.const ${64 * MiB - 1}))))`,
      1000n,
    );
    expect(() => fn('shift')()).toThrow(WebAssembly.RuntimeError);
    expect([byte(0), byte(1)]).toEqual([7, 0]);
  });

  it('charges memory.init from a passive segment on every call of a loop-free function', async () => {
    const { fn, used } = await metered(
      `(module (memory (export "memory") 1) (data $seg "${'x'.repeat(4096)}")
        (func $init (memory.init $seg (i32.const 0) (i32.const 0) (i32.const 4096)))
        (func (export "many") (param $n i32) (local $i i32)
          (loop $next (call $init)
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $next (i32.lt_u (local.get $i) (local.get $n))))))`,
      10_000_000n,
    );
    fn('many')(1000);
    // The entry of `many`, a unit per turn, 4096 / 16 per init.
    expect(used()).toBe(1 + 1000 + 1000 * (4096 / BYTES_PER_FUEL));
  });

  it('charges a huge table.grow as at most the largest table, and it returns -1', async () => {
    const { fn, used } = await metered(
      `(module (table $t 1 100 funcref)
        (func (export "grow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0))))`,
      200_000_000n,
    );
    expect(fn('grow')(0x7fffffff)).toBe(-1);
    expect(used()).toBe(100_000 * FUEL_PER_GROWN_TABLE_ELEMENT + 1);
  });

  it('charges a huge memory.grow as at most 65536 pages more, and it returns -1', async () => {
    const { fn, used } = await metered(
      `(module (memory (export "memory") 1 10)
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`,
      1_000_000_000n,
    );
    expect(fn('grow')(-1)).toBe(-1);
    expect(used()).toBe((65536 + 1) * FUEL_PER_MEMORY_PAGE_AFTER_GROW);
  });

  it('stops a memory without maximum growing page by page in a loop, before its cap', async () => {
    // As prepareModule does: the cap gives the memory a maximum, the fuel stops it sooner.
    const source = `(module (memory (export "memory") 1)
      (func (export "bomb") (loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))))`;
    const capped = capMemory((await wat(source)).bytes, 1024);
    // Growing to 2, 3, ... 10 pages, and a unit per loop turn.
    const toTenPages = 54 * FUEL_PER_MEMORY_PAGE_AFTER_GROW + 10;
    const { fn, pages } = await meteredBytes(capped, BigInt(toTenPages));
    expect(() => fn('bomb')()).toThrow(WebAssembly.RuntimeError);
    expect(pages()).toBe(10);
  });

  // A grow makes V8 account the whole memory (the table) anew: its cost grows with the size.
  it('stops a loop growing memory a page at a time, with a small budget, long before the cap', async () => {
    const source = `(module (memory (export "memory") 1)
      (func (export "grow") (loop $again (drop (memory.grow (i32.const 1))) (br $again))))`;
    const capped = capMemory((await wat(source)).bytes, 1024);
    const { fn, pages, left } = await meteredBytes(capped, 10_000_000n);
    expect(() => fn('grow')()).toThrow(WebAssembly.RuntimeError);
    expect(left()).toBeLessThan(0n);
    // 8192 × (2 + 3 + ... + n) ≤ 10,000,000: n = 48.
    expect(pages()).toBe(48);
  });

  it('stops a loop growing a table an element at a time, with a small budget, long before the cap', async () => {
    const { fn, left } = await metered(
      `(module (table $t 1 funcref)
        (func (export "grow") (loop $again (drop (table.grow $t (ref.null func) (i32.const 1))) (br $again)))
        (func (export "size") (result i32) (table.size $t)))`,
      10_000_000n,
    );
    expect(() => fn('grow')()).toThrow(WebAssembly.RuntimeError);
    expect(left()).toBeLessThan(0n);
    // (1024 + entries held) per grow, a unit per turn: far from the 100,000 entries it could reach.
    expect(fn('size')()).toBeLessThan(4000);
  });

  it('stops table.fill of a large table it cannot pay for', async () => {
    const { fn, left } = await metered(
      `(module (table $t 100000 funcref)
        (func (export "fill") (table.fill $t (i32.const 0) (ref.null func) (i32.const 100000))))`,
      1000n,
    );
    expect(() => fn('fill')()).toThrow(WebAssembly.RuntimeError);
    expect(left()).toBeLessThan(0n);
  });

  it('keeps parameters, locals and results of a function it adds a local to', async () => {
    const { fn, used } = await metered(
      `(module (memory (export "memory") 1)
        (func (export "mixed") (param $a i32) (param $b i64) (result i32)
          (local $f f64) (local $i i32) (local $j i64)
          (local.set $i (i32.const 5))
          (memory.fill (i32.const 0) (i32.const 9) (local.get $a))
          (i32.add (local.get $i) (i32.add (i32.wrap_i64 (local.get $b)) (i32.load8_u (i32.const 0))))))`,
      1000n,
    );
    expect(fn('mixed')(320, 100n)).toBe(5 + 100 + 9);
    expect(used()).toBe(320 / BYTES_PER_FUEL);
  });

  it('meters a bulk instruction that opens a loop taking its operands as parameters', async () => {
    const { fn, used } = await metered(
      `(module (memory (export "memory") 1)
        (func (export "loop_fill")
          (i32.const 0) (i32.const 1) (i32.const 160)
          (loop $l (param i32 i32 i32) (memory.fill))))`,
      1000n,
    );
    fn('loop_fill')();
    expect(used()).toBe(1 + 1 + 160 / BYTES_PER_FUEL);
  });

  it('keeps a bulk instruction in unreachable code valid', async () => {
    const { fn } = await metered(
      `(module (memory (export "memory") 1)
        (func (export "dead") (unreachable) (memory.fill)))`,
      1000n,
    );
    expect(() => fn('dead')()).toThrow(WebAssembly.RuntimeError);
  });

  it('recognizes a sub-opcode written as padded LEB128', async () => {
    // memory.fill (i32.const 0) (i32.const 0) (local.get 0), with 0xFC 0x8B 0x00 for sub-opcode 11.
    const body = [0, 0x41, 0, 0x41, 0, 0x20, 0, 0xfc, 0x8b, 0x00, 0x00, 0x0b];
    const bytes = wasmModule(
      section(SectionId.type, [1, 0x60, 1, 0x7f, 0]),
      section(SectionId.function, [1, 0]),
      section(SectionId.memory, [1, 0, 1]),
      section(SectionId.export, [1, 4, ...new TextEncoder().encode('fill'), 0x00, 0]),
      section(SectionId.code, [1, body.length, ...body]),
    );
    expect(WebAssembly.validate(bytes)).toBe(true);
    const { fn, used } = await meteredBytes(bytes, 1000n);
    fn('fill')(1600);
    expect(used()).toBe(100);
  });
});
