import {
  MODULE_LIMIT_CODES,
  SANDBOX_ERROR_CODES,
  type ModuleLimitCode,
} from '@convergio/contracts';
import { capTables } from './cap-tables.js';
import { encodeU32Leb } from './leb128.js';
import {
  checkModuleLimits,
  DEFAULT_MODULE_LIMITS,
  findModuleLimitViolations,
} from './module-limits.js';
import { SandboxError } from './sandbox-error.js';
import { readWasmFixture } from './testing/plugin-fixtures.js';
import { section, wasmModule } from './testing/wasm-builder.js';
import { readSections, SectionId } from './wasm-sections.js';

const leb = encodeU32Leb;
const FUNCREF = 0x70;
const name = (text: string) => {
  const bytes = [...new TextEncoder().encode(text)];
  return [...leb(bytes.length), ...bytes];
};
const vector = (count: number, entry: (i: number) => number[]) => [
  ...leb(count),
  ...Array.from({ length: count }, (_, i) => entry(i)).flat(),
];
const TYPE = section(SectionId.type, [1, 0x60, 0, 0]);
const MEMORY = section(SectionId.memory, [1, 0, 1]);
const oneFunction = [
  TYPE,
  section(SectionId.function, [1, 0]),
  section(SectionId.code, [1, 2, 0, 0x0b]),
];

// Modules declaring `n` of one resource, each valid WebAssembly.
const BUILDERS: Record<string, (n: number) => Uint8Array> = {
  tables: (n) =>
    wasmModule(
      section(
        SectionId.table,
        vector(n, () => [FUNCREF, 0x00, 1]),
      ),
    ),
  globals: (n) =>
    wasmModule(
      section(
        SectionId.global,
        vector(n, () => [0x7f, 0x00, 0x41, 0x00, 0x0b]),
      ),
    ),
  functions: (n) =>
    wasmModule(
      TYPE,
      section(
        SectionId.function,
        vector(n, () => [0]),
      ),
      section(
        SectionId.code,
        vector(n, () => [2, 0, 0x0b]),
      ),
    ),
  dataSegments: (n) =>
    wasmModule(
      MEMORY,
      section(
        SectionId.data,
        vector(n, () => [0x00, 0x41, 0x00, 0x0b, 0x00]),
      ),
    ),
  // Passive, funcref, empty.
  elementSegments: (n) =>
    wasmModule(
      section(
        SectionId.element,
        vector(n, () => [0x01, 0x00, 0x00]),
      ),
    ),
  // Functions of nops (each under the function limit) whose bodies add up to a code section of
  // exactly n bytes.
  codeBytes: (n) => {
    const big = 200_000;
    const sizes: number[] = [];
    let rest = n - 1; // the function count, one byte below 128
    while (rest > big + 100_000) {
      sizes.push(big);
      rest -= leb(big).length + big;
    }
    sizes.push(rest - leb(rest - 3).length);
    const payload = new Uint8Array(n).fill(0x01);
    let at = 0;
    payload[at++] = sizes.length;
    for (const size of sizes) {
      for (const byte of leb(size)) payload[at++] = byte;
      payload[at] = 0; // no locals
      payload[at + size - 1] = 0x0b; // end
      at += size;
    }
    if (at !== n) throw new Error(`built ${at} bytes, not ${n}`);
    return wasmModule(
      TYPE,
      section(
        SectionId.function,
        vector(sizes.length, () => [0]),
      ),
      { id: SectionId.code, payload },
    );
  },
  imports: (n) =>
    wasmModule(
      TYPE,
      section(
        SectionId.import,
        vector(n, () => [...name('extism:host/env'), ...name('alloc'), 0x00, 0]),
      ),
    ),
  exports: (n) =>
    wasmModule(
      ...oneFunction.slice(0, 2),
      section(
        SectionId.export,
        vector(n, (i) => [...name(`f${i}`), 0x00, 0]),
      ),
      oneFunction[2],
    ),
};

const RESOURCES: [keyof typeof BUILDERS, ModuleLimitCode, string][] = [
  ['tables', 'module_too_many_tables', 'tables'],
  ['globals', 'module_too_many_globals', 'globals'],
  ['functions', 'module_too_many_functions', 'functions'],
  ['dataSegments', 'module_too_many_data_segments', 'data segments'],
  ['elementSegments', 'module_too_many_element_segments', 'element segments'],
  ['codeBytes', 'module_code_too_large', 'code section bytes'],
  ['imports', 'module_too_many_imports', 'imports'],
  ['exports', 'module_too_many_exports', 'exports'],
];

const codesOf = (bytes: Uint8Array) => findModuleLimitViolations(bytes).map((v) => v.code);

describe('findModuleLimitViolations', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_MODULE_LIMITS).toEqual({
      tables: 4,
      tableEntries: 100_000,
      globals: 10_000,
      functions: 100_000,
      dataSegments: 100_000,
      elementSegments: 100_000,
      codeBytes: 16 * 1024 * 1024,
      meteredCodeBytes: 32 * 1024 * 1024,
      functionBytes: 256 * 1024,
      nestingDepth: 10_000,
      functionLocals: 10_000,
      joinLocals: 2_000_000,
      totalJoinLocals: 20_000_000,
      imports: 1_000,
      exports: 10_000,
    });
  });

  it.each(RESOURCES)(
    'accepts %s at the limit and refuses one more as %s',
    (resource, code, noun) => {
      const limit = DEFAULT_MODULE_LIMITS[resource as keyof typeof DEFAULT_MODULE_LIMITS];
      const atLimit = BUILDERS[resource](limit);
      const over = BUILDERS[resource](limit + 1);
      expect(WebAssembly.validate(atLimit as Uint8Array<ArrayBuffer>)).toBe(true);
      expect(findModuleLimitViolations(atLimit)).toEqual([]);
      expect(findModuleLimitViolations(over)).toEqual([
        {
          code,
          value: limit + 1,
          limit,
          message: `${noun}: ${limit + 1}, more than the limit of ${limit}`,
        },
      ]);
    },
  );

  it.each([
    [
      'initial entries above the limit',
      [FUNCREF, 0x00, ...leb(10_000_000)],
      'table 0 initial entries: 10000000',
    ],
    [
      'a maximum above the limit',
      [FUNCREF, 0x01, 1, ...leb(100_001)],
      'table 0 maximum entries: 100001',
    ],
    [
      'an externref table above the limit',
      [0x6f, 0x00, ...leb(100_001)],
      'table 0 initial entries: 100001',
    ],
  ])('refuses a table with %s as module_table_too_large', (_, table, message) => {
    const bytes = wasmModule(section(SectionId.table, [1, ...table]));
    expect(findModuleLimitViolations(bytes)).toEqual([
      expect.objectContaining({
        code: 'module_table_too_large',
        message: expect.stringContaining(message),
      }),
    ]);
  });

  it('accepts tables of the largest size, with or without a maximum', () => {
    const tables = [
      [FUNCREF, 0x00, ...leb(100_000)],
      [FUNCREF, 0x01, 0, ...leb(100_000)],
    ];
    expect(codesOf(wasmModule(section(SectionId.table, [2, ...tables.flat()])))).toEqual([]);
  });

  it('counts imported tables and globals with the defined ones', () => {
    const importTable = [...name('extism:host/env'), ...name('t'), 0x01, FUNCREF, 0x00, 1];
    const bytes = wasmModule(
      section(SectionId.import, [1, ...importTable]),
      section(
        SectionId.table,
        vector(4, () => [FUNCREF, 0x00, 1]),
      ),
    );
    expect(codesOf(bytes)).toEqual(['module_too_many_tables']);
  });

  it.each([
    ['_start', 0x00],
    ['_initialize', 0x00],
    ['hs_init', 0x00],
    ['_start', 0x03], // a global: Extism would still try to call it
    ['__convergio_fuel', 0x00],
  ])(
    'refuses an export named %s (kind %i) as module_export_reserved, naming it',
    (exported, kind) => {
      const bytes = wasmModule(
        TYPE,
        section(SectionId.function, [1, 0]),
        section(SectionId.global, [1, 0x7f, 0x00, 0x41, 0x00, 0x0b]),
        section(SectionId.export, [1, ...name(exported), kind, 0]),
        section(SectionId.code, [1, 2, 0, 0x0b]),
      );
      expect(WebAssembly.validate(bytes)).toBe(true);
      expect(findModuleLimitViolations(bytes)).toEqual([
        expect.objectContaining({
          code: 'module_export_reserved',
          value: exported,
          message: expect.stringContaining(`"${exported}"`),
        }),
      ]);
    },
  );

  it('reports every bound broken, not only the first', () => {
    const bytes = wasmModule(
      section(
        SectionId.table,
        vector(5, () => [FUNCREF, 0x00, ...leb(200_000)]),
      ),
      section(
        SectionId.global,
        vector(10_001, () => [0x7f, 0x00, 0x41, 0x00, 0x0b]),
      ),
    );
    expect(codesOf(bytes)).toEqual([
      'module_too_many_tables',
      ...new Array<string>(5).fill('module_table_too_large'),
      'module_too_many_globals',
    ]);
  });

  it('finds nothing to refuse in the example plugins', () => {
    for (const file of ['greet.wasm', 'fixtures.wasm', 'bench.wasm', 'hostile.wasm'] as const)
      expect(codesOf(readWasmFixture(file).bytes)).toEqual([]);
  });

  it.each([
    ['a table64', [1, FUNCREF, 0x04, 1]],
    ['a table with an initializer', [1, 0x40, 0x00, FUNCREF, 0x00, 1, 0xd2, 0, 0x0b]],
    ['a truncated table', [1, FUNCREF, 0x01, 1]],
    ['trailing bytes', [1, FUNCREF, 0x00, 1, 0]],
  ])('refuses a table section with %s as module_invalid', (_, payload) => {
    expect(() => findModuleLimitViolations(wasmModule(section(SectionId.table, payload)))).toThrow(
      expect.objectContaining({ code: 'module_invalid' }),
    );
  });

  it('keeps its codes in one list, each a SandboxError code', () => {
    expect(MODULE_LIMIT_CODES).toHaveLength(14);
    expect(new Set(MODULE_LIMIT_CODES).size).toBe(MODULE_LIMIT_CODES.length);
    expect(SANDBOX_ERROR_CODES).toEqual(expect.arrayContaining([...MODULE_LIMIT_CODES]));
  });
});

describe('checkModuleLimits', () => {
  it('throws the first violation as a SandboxError with its code', () => {
    const attempt = () => checkModuleLimits(BUILDERS.tables(5));
    expect(attempt).toThrow(SandboxError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'module_too_many_tables' }));
  });

  it('accepts a module within its limits', () => {
    expect(() => checkModuleLimits(readWasmFixture('greet.wasm').bytes)).not.toThrow();
  });

  it('applies the limits it is given', () => {
    const limits = { ...DEFAULT_MODULE_LIMITS, globals: 1 };
    expect(() => checkModuleLimits(BUILDERS.globals(2), limits)).toThrow(
      expect.objectContaining({ code: 'module_too_many_globals' }),
    );
  });
});

describe('capTables', () => {
  const tablePayload = (bytes: Uint8Array) => [
    ...(readSections(bytes).find((s) => s.id === SectionId.table)?.payload ?? []),
  ];

  it.each([
    [
      'adds the cap as maximum when none is declared',
      [1, FUNCREF, 0x00, 1],
      [1, FUNCREF, 0x01, 1, 10],
    ],
    ['lowers a maximum above the cap', [1, FUNCREF, 0x01, 1, 20], [1, FUNCREF, 0x01, 1, 10]],
    ['keeps a maximum below the cap', [1, FUNCREF, 0x01, 1, 4], [1, FUNCREF, 0x01, 1, 4]],
    [
      'caps every table',
      [2, FUNCREF, 0x00, 0, 0x6f, 0x00, 10],
      [2, FUNCREF, 0x01, 0, 10, 0x6f, 0x01, 10, 10],
    ],
  ])('%s', (_, payload, expected) => {
    const capped = capTables(wasmModule(section(SectionId.table, payload)), 10);
    expect(tablePayload(capped)).toEqual(expected);
    expect(WebAssembly.validate(capped)).toBe(true);
  });

  it('refuses a table whose initial size is above the cap', () => {
    expect(() =>
      capTables(wasmModule(section(SectionId.table, [1, FUNCREF, 0x00, 11])), 10),
    ).toThrow(expect.objectContaining({ code: 'module_table_too_large' }));
  });

  it('leaves a module without tables byte for byte', () => {
    const greet = readWasmFixture('greet.wasm').bytes;
    expect(capTables(greet, 10)).toEqual(greet);
  });

  it('makes table.grow fail with -1 past the cap, however large the delta', async () => {
    const bytes = wasmModule(
      section(SectionId.type, [1, 0x60, 1, 0x7f, 1, 0x7f]),
      section(SectionId.function, [1, 0]),
      section(SectionId.table, [1, FUNCREF, 0x00, 1]),
      section(SectionId.export, [1, ...name('grow'), 0x00, 0]),
      // table.grow 0 (ref.null func) (local.get 0)
      section(SectionId.code, [1, 9, 0, 0xd0, FUNCREF, 0x20, 0, 0xfc, 15, 0, 0x0b]),
    );
    const { instance } = await WebAssembly.instantiate(capTables(bytes, 100_000));
    const grow = instance.exports.grow as (delta: number) => number;
    expect([grow(9_000_000), grow(99_999), grow(1)]).toEqual([-1, 1, -1]);
  });
});
