// What V8 compiles: function bodies once metered, their nesting and locals, the metered code
// section. Bounded at verification (findModuleLimitViolations, with a code naming the resource)
// and at load (prepareModule), and every module within the bounds prepares within the heap of a
// sandbox process (ADR 0003, "Module limits").
import { spawn } from 'node:child_process';
import { instrumentFuel } from './instrument-fuel.js';
import { encodeU32Leb } from './leb128.js';
import { DEFAULT_MODULE_LIMITS, findModuleLimitViolations } from './module-limits.js';
import { prepareModule } from './prepare-module.js';
import { sandboxMemoryBudget } from './sandbox-memory-budget.js';
import { TEST_LIMITS, TEST_POLICY } from './testing/test-policy.js';
import { section, wasmModule } from './testing/wasm-builder.js';
import { SectionId } from './wasm-sections.js';

const leb = encodeU32Leb;
const MiB = 1024 * 1024;
const I32 = 0x7f;
const FILL = [0x20, 0, 0x20, 0, 0x20, 0, 0xfc, 0x0b, 0x00]; // local.get 0 ×3, memory.fill
const LOOP = [0x03, 0x40, 0x0b]; // loop end
const NOP = [0x01];

/** A module of functions `(param i32)`, each body `locals` then `code` then `end`, exporting `run`. */
function moduleOf(bodies: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const code: number[] = [...leb(bodies.length)];
  const parts: Uint8Array[] = [];
  for (const body of bodies) parts.push(Uint8Array.from(leb(body.length)), body);
  const payload = new Uint8Array(code.length + parts.reduce((n, p) => n + p.length, 0));
  payload.set(code, 0);
  let at = code.length;
  for (const part of parts) {
    payload.set(part, at);
    at += part.length;
  }
  return wasmModule(
    section(SectionId.type, [1, 0x60, 1, I32, 0]),
    section(SectionId.function, [...leb(bodies.length), ...bodies.map(() => 0)]),
    section(SectionId.memory, [1, 0, 1]),
    section(SectionId.export, [1, 3, ...new TextEncoder().encode('run'), 0, 0]),
    { id: SectionId.code, payload },
  );
}

/** A body of `count` repetitions of `unit`, with the given locals declaration. */
function body(unit: number[], count: number, locals: number[] = [0]): Uint8Array {
  const out = new Uint8Array(locals.length + count * unit.length + 1);
  out.set(locals, 0);
  for (let i = 0; i < count; i++) out.set(unit, locals.length + i * unit.length);
  out[out.length - 1] = 0x0b;
  return out;
}

/** Functions of `unit`, each of `perFunction` units, `functions` of them. */
const repeated = (unit: number[], perFunction: number, functions: number) =>
  moduleOf(Array.from({ length: functions }, () => body(unit, perFunction)));

/** One function of `depth` nested empty blocks (or loops). */
function nested(depth: number, opener = 0x02): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(1 + depth * 3 + 1);
  for (let i = 0; i < depth; i++) out.set([opener, 0x40], 1 + 2 * i);
  out.fill(0x0b, 1 + 2 * depth);
  return moduleOf([out]);
}

const withLocals = (count: number) => moduleOf([body([], 0, [1, ...leb(count), I32])]);
const codesOf = (bytes: Uint8Array) => findModuleLimitViolations(bytes).map((v) => v.code);

// Bytes a function entry check adds (fuel global 0): global.get, i64.const, i64.le_s, if
// unreachable end, global.get, i64.const, i64.sub, global.set.
const CHECK = 16;
// A check charging 64 to 8191 units (meter-code.ts: one per 1000 instructions it pays for) takes
// one byte more: global.get, i64.const (two bytes), i64.sub, global.set, global.get, i64.const,
// i64.lt_s, if unreachable end.
const LARGE_CHECK = 17;

describe('module limits on what V8 compiles', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_MODULE_LIMITS).toMatchObject({
      meteredCodeBytes: 32 * MiB,
      functionBytes: 256 * 1024,
      nestingDepth: 10_000,
      functionLocals: 10_000,
    });
  });

  it('accepts a function of 256 KiB once metered and refuses one byte more as module_function_too_large', () => {
    const limit = DEFAULT_MODULE_LIMITS.functionBytes;
    // locals (1 byte), nops, end (1 byte), plus the entry check counted for every function, here
    // charging 263 units for the 262,000 nops.
    const atLimit = repeated(NOP, limit - LARGE_CHECK - 2, 1);
    const over = repeated(NOP, limit - LARGE_CHECK - 1, 1);
    expect(WebAssembly.validate(over)).toBe(true);
    expect(findModuleLimitViolations(atLimit)).toEqual([]);
    expect(findModuleLimitViolations(over)).toEqual([
      {
        code: 'module_function_too_large',
        value: limit + 1,
        limit,
        message: `function 0 body bytes once metered: ${limit + 1}, more than the limit of ${limit}; split it into smaller functions`,
      },
    ]);
  });

  it('counts the fuel checks and charges: 100,000 empty loops (300 kB written) are 1.9 MB metered', () => {
    const [violation] = findModuleLimitViolations(repeated(LOOP, 100_000, 1));
    expect(violation).toMatchObject({
      code: 'module_function_too_large',
      // Each loop's check charges one unit, the entry's 101 for the 100,000 loop headers and the end.
      value: 1 + 100_000 * (LOOP.length + CHECK) + 1 + LARGE_CHECK,
    });
  });

  it('accepts 10,000 nested blocks and refuses 10,001 as module_nesting_too_deep', () => {
    expect(codesOf(nested(10_000))).toEqual([]);
    expect(findModuleLimitViolations(nested(10_001))).toEqual([
      {
        code: 'module_nesting_too_deep',
        value: 10_001,
        limit: 10_000,
        message: 'function 0 nests blocks 10001 deep, more than the limit of 10000',
      },
    ]);
  });

  it('refuses the 2.5 million nested blocks V8 needed gigabytes to compile', () => {
    expect(codesOf(nested(2_500_000))).toEqual([
      'module_function_too_large',
      'module_nesting_too_deep',
    ]);
  });

  // The metering keeps a few numbers per open loop: a deeper body is refused, never read for them.
  it('refuses 2.5 million nested loops by their nesting, without reading their loops', () => {
    // Built first: the module and its builder's copy are 15 MB of ArrayBuffers that a GC may or
    // may not have freed by the time the checks are measured.
    const bytes = nested(2_500_000, 0x03);
    const before = process.memoryUsage().arrayBuffers;
    expect(codesOf(bytes)).toEqual([
      'module_function_too_large',
      'module_nesting_too_deep',
      'module_function_too_complex',
    ]);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * MiB);
    expect(() => instrumentFuel(nested(70_000, 0x03))).toThrow(
      expect.objectContaining({
        code: 'module_invalid',
        message: expect.stringMatching(/nested 70000 deep cannot be metered/),
      }),
    );
  });

  it('accepts 10,000 locals in a function and refuses 10,001 as module_too_many_locals', () => {
    expect(codesOf(withLocals(10_000))).toEqual([]);
    expect(findModuleLimitViolations(withLocals(10_001))).toEqual([
      expect.objectContaining({ code: 'module_too_many_locals', value: 10_001, limit: 10_000 }),
    ]);
  });

  describe('locals times the blocks where control flow joins once metered, past 2,000,000: module_function_too_complex', () => {
    // 9,999 locals and the parameter. The entry check is one join: 199 more make 2,000,000, 200
    // make more. Each shape took 1.1 to 3.5 GB and 5 to 22 s to compile at 9,000 (found by
    // reviews).
    const locals = [1, ...leb(9_999), I32];
    const IF = [0x20, 0, 0x04, 0x40, 0x0b]; // local.get 0, if, end
    const BR_IF_BLOCK = [0x02, 0x40, 0x20, 0, 0x0d, 0, 0x0b]; // block, local.get 0, br_if 0, end
    /** `count` nested blocks (or loops), the innermost a br_table naming each of them. */
    const brTableNest = (count: number) => [
      ...Array<number[]>(count).fill([0x02, 0x40]).flat(),
      ...[0x20, 0, 0x0e, ...leb(count - 1)],
      ...Array.from({ length: count }, (_, i) => leb(i)).flat(),
      ...Array<number>(count).fill(0x0b),
    ];
    const of = (code: number[]) => moduleOf([Uint8Array.from([...locals, ...code, 0x0b])]);
    const tooComplex = (value: number, joins: number): unknown[] => [
      expect.objectContaining({
        code: 'module_function_too_complex',
        value,
        limit: 2_000_000,
        message: expect.stringContaining(
          `function 0 has 10000 locals (parameters included) and ${joins} blocks where control flow joins once metered`,
        ),
      }),
    ];

    it.each([
      ['ifs one after another', (n: number) => Array<number[]>(n).fill(IF).flat(), 1],
      [
        'blocks each left by a br_if',
        (n: number) => Array<number[]>(n).fill(BR_IF_BLOCK).flat(),
        1,
      ],
      ['nested blocks a br_table names', brTableNest, 1],
      // Each loop twice: its header, and its fuel check's `if`.
      ['loops one after another', (n: number) => Array<number[]>(n).fill(LOOP).flat(), 2],
      [
        'nested loops',
        (n: number) => [
          ...Array<number[]>(n).fill([0x03, 0x40]).flat(),
          ...Array<number>(n).fill(0x0b),
        ],
        2,
      ],
      // Each charge's check is an `if`.
      ['memory.fill one after another', (n: number) => Array<number[]>(n).fill(FILL).flat(), 1],
    ])('%s', (_, code, each) => {
      const atLimit = 1_999_999 / 10_000 / each;
      expect(WebAssembly.validate(of(code(Math.floor(atLimit) + 1)))).toBe(true);
      expect(codesOf(of(code(Math.floor(atLimit))))).toEqual([]);
      const over = Math.floor(atLimit) + 1;
      expect(findModuleLimitViolations(of(code(over)))).toEqual(
        tooComplex((1 + over * each) * 10_000, 1 + over * each),
      );
      expect(codesOf(of(code(9_000)))).toContain('module_function_too_complex');
    });

    it('counts a block once however many branches name it, and not a block no branch names', () => {
      // One block left by 5,000 br_ifs, then 5,000 nested blocks nothing branches to.
      const code = [
        ...[0x02, 0x40, ...Array<number[]>(5_000).fill([0x20, 0, 0x0d, 0]).flat(), 0x0b],
        ...Array<number[]>(5_000).fill([0x02, 0x40]).flat(),
        ...Array<number>(5_000).fill(0x0b),
      ];
      expect(codesOf(of(code))).toEqual([]);
    });

    it('counts the blocks around a try_table, not those beside it, in time linear in the code', () => {
      const TRY_TABLE = [0x1f, 0x40, 0x00]; // try_table with no catch clause
      const nest = (opener: number[], n: number) => [
        ...Array<number[]>(n).fill(opener).flat(),
        ...Array<number>(n).fill(0x0b),
      ];
      // 199 blocks around one try_table: 1 + 199 + 1 joins.
      const around = [...Array<number[]>(199).fill([0x02, 0x40]).flat(), ...TRY_TABLE, 0x0b];
      expect(findModuleLimitViolations(of([...around, ...Array<number>(199).fill(0x0b)]))).toEqual(
        tooComplex(2_010_000, 201),
      );
      // The same blocks after it, beside it: only the try_table joins.
      expect(codesOf(of([...TRY_TABLE, 0x0b, ...nest([0x02, 0x40], 199)]))).toEqual([]);
      // A million nested try_tables: marking every block around each one was quadratic (hours).
      expect(codesOf(of(nest(TRY_TABLE, 1_000_000)))).toContain('module_nesting_too_deep');
    });

    it('refuses functions each within the limit that are more than 20,000,000 together', () => {
      // 10 functions of 10,000 locals and 199 ifs: 2,000,000 each.
      const fn = Uint8Array.from([...locals, ...Array<number[]>(199).fill(IF).flat(), 0x0b]);
      expect(codesOf(moduleOf(Array<Uint8Array>(10).fill(fn)))).toEqual([]);
      expect(findModuleLimitViolations(moduleOf(Array<Uint8Array>(11).fill(fn)))).toEqual([
        expect.objectContaining({
          code: 'module_function_too_complex',
          value: 22_000_000,
          limit: 20_000_000,
          message: expect.stringContaining("the module's functions together"),
        }),
      ]);
    });
  });

  it('refuses a code section under 16 MiB that is more than 32 MiB once metered', () => {
    // memory.fill with local operands: 9 bytes written, 31 metered; 140 functions of 245 kB metered.
    const bytes = repeated(FILL, 7_900, 140);
    expect(bytes.length).toBeLessThan(16 * MiB);
    expect(findModuleLimitViolations(bytes)).toEqual([
      expect.objectContaining({
        code: 'module_code_too_large',
        message: expect.stringContaining('once metered'),
      }),
    ]);
  });

  it('refuses at load, with the same code, what verification refuses', async () => {
    await expect(prepareModule(repeated(FILL, 116_508, 1), 16, [])).rejects.toMatchObject({
      code: 'module_function_too_large',
    });
    await expect(prepareModule(nested(10_001), 16, [])).rejects.toMatchObject({
      code: 'module_nesting_too_deep',
    });
  });
});

describe('every module within the limits prepares in a sandbox process', () => {
  // The heap flags of a sandbox process of one instance (the smallest main heap).
  const flags = sandboxMemoryBudget(TEST_LIMITS, TEST_POLICY, 1).nodeFlags;
  const hooks = new URL('./testing/ts-hooks.mjs', import.meta.url).href;
  const script = new URL('./testing/prepare-child-main.ts', import.meta.url).href;

  function prepareInChild(bytes: Uint8Array): Promise<{ exit: number | null; report: unknown }> {
    const bootstrap = `import('node:module').then((m) => { m.register(${JSON.stringify(hooks)}); return import(${JSON.stringify(script)}); })`;
    const child = spawn(
      process.execPath,
      [...flags, '--disable-warning=ExperimentalWarning', '--input-type=module', '-e', bootstrap],
      { stdio: ['pipe', 'pipe', 'pipe'], timeout: 120_000 },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.resume();
    child.stdin.end(Buffer.from(bytes).toString('base64'));
    return new Promise((resolve) =>
      child.on('close', (exit) => {
        let report: unknown;
        try {
          report = JSON.parse(stdout.trim().split('\n').pop() ?? '');
        } catch {
          report = undefined;
        }
        resolve({ exit, report });
      }),
    );
  }

  it.each([
    // Just under 32 MiB metered in functions just under 256 KiB: the most metering there is.
    ['memory.fill with local operands', () => repeated(FILL, 7_900, 130)],
    ['empty loops', () => repeated(LOOP, 13_000, 130)],
    // 16 MiB of plain code, nothing to meter.
    ['nops', () => repeated(NOP, 255_000, 65)],
  ])(
    '%s at the limits',
    async (_, build) => {
      const bytes = build();
      expect(codesOf(bytes)).toEqual([]);
      expect(await prepareInChild(bytes)).toEqual({ exit: 0, report: { ok: true } });
    },
    180_000,
  );

  it.each([
    ['2 MiB of memory.fill in 300 kB functions', () => repeated(FILL, 33_333, 7)],
    ['1 MiB of memory.fill in one function', () => repeated(FILL, 116_508, 1)],
    ['2 MiB of empty loops', () => repeated(LOOP, 100_000, 7)],
  ])(
    '%s: refused with a code, never a crash',
    async (_, build) => {
      expect(await prepareInChild(build())).toEqual({
        exit: 0,
        report: expect.objectContaining({ ok: false, code: 'module_function_too_large' }),
      });
    },
    180_000,
  );
});
