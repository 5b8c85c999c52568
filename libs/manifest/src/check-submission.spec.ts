import type { Manifest } from '@convergio/contracts';
import { aManifest, exampleModule, sha256Hex } from '@convergio/testing';
import { DEFAULT_GRANT_POLICY } from '@convergio/policy/grant';
import { checkSubmission } from './check-submission.js';
import { EMPTY_KEYRING } from './keyring.js';
import { corpusSubmissionContext } from './testing/index.js';

const context = { ...corpusSubmissionContext(EMPTY_KEYRING), coreVersion: '1.4.0' };

const leb = (value: number): number[] =>
  value < 0x80 ? [value] : [(value & 0x7f) | 0x80, ...leb(Math.floor(value / 0x80))];
const wasmSection = (id: number, payload: number[]) => [id, ...leb(payload.length), ...payload];
const WASM_HEADER = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
const FUNCREF = 0x70;

const I32 = 0x7f;
const I64 = 0x7e;

/** A minimal module that imports one function, of type `(params) -> (results)`. */
function moduleImporting(
  namespace: string,
  name: string,
  params: number[] = [],
  results: number[] = [],
): Uint8Array {
  const str = (s: string) => [s.length, ...Buffer.from(s)];
  const type = [1, 0x60, params.length, ...params, results.length, ...results];
  const imports = [1, ...str(namespace), ...str(name), 0x00, 0x00];
  return Uint8Array.from([...WASM_HEADER, ...wasmSection(1, type), ...wasmSection(2, imports)]);
}

/** A module declaring the given tables (each `[flags, min, max?]`) and exporting `exports` (function 0). */
function moduleDeclaring(tables: number[][], exports: string[] = [], globals = 0): Uint8Array {
  const str = (s: string) => [s.length, ...Buffer.from(s)];
  return Uint8Array.from([
    ...WASM_HEADER,
    ...wasmSection(1, [1, 0x60, 0, 0]),
    ...wasmSection(3, [1, 0]),
    ...(tables.length
      ? wasmSection(4, [
          tables.length,
          ...tables.flatMap((t) => [FUNCREF, t[0], ...t.slice(1).flatMap(leb)]),
        ])
      : []),
    ...(globals
      ? wasmSection(6, [
          ...leb(globals),
          ...new Array<number[]>(globals).fill([0x7f, 0, 0x41, 0, 0x0b]).flat(),
        ])
      : []),
    ...wasmSection(7, [exports.length, ...exports.flatMap((name) => [...str(name), 0x00, 0])]),
    ...wasmSection(10, [1, 2, 0, 0x0b]),
  ]);
}

const manifestFor = (module: Uint8Array, overrides: Partial<Manifest> = {}) =>
  aManifest({ min_core_version: '1.0.0', ...overrides }, module);

const codes = async (raw: unknown, module: Uint8Array, ctx = context) =>
  (await checkSubmission(raw, module, ctx)).findings.map((f) => f.code);

describe('checkSubmission', () => {
  let greet: Uint8Array;
  beforeAll(() => {
    greet = exampleModule('greet.wasm');
  });

  it('passes the example plugin', async () => {
    const result = await checkSubmission(manifestFor(greet), greet, context);
    expect(result).toMatchObject({ ok: true, findings: [] });
  });

  it.each([
    [
      'a module that does not match its hash',
      () => manifestFor(greet, { signing: { sha256: 'a'.repeat(64) } }),
      'module_hash_mismatch',
    ],
    [
      'a core that is too old',
      () => manifestFor(greet, { min_core_version: '2.0.0' }),
      'core_version_incompatible',
    ],
    [
      'proc.exec for an untrusted plugin',
      () => manifestFor(greet, { permissions: { 'proc.exec': { binaries: ['/bin/ls'] } } }),
      'proc_exec_untrusted',
    ],
    [
      'a declared function the module does not export',
      () =>
        manifestFor(greet, {
          capabilities: { agents: [{ name: 'x', function: 'steal', description: 'x' }] },
        }),
      'function_missing',
    ],
    [
      'a reason for a permission the manifest does not ask for',
      () => manifestFor(greet, { permission_reasons: { 'net.http': 'to fetch the weather' } }),
      'reason_without_permission',
    ],
    [
      'a reason for a permission outside the catalog',
      () =>
        manifestFor(greet, {
          permission_reasons: { 'net.raw': 'x' },
        } as unknown as Partial<Manifest>),
      'manifest_invalid',
    ],
    [
      'a manifest that fails its schema',
      () => ({ id: 'x' }) as unknown as Manifest,
      'manifest_invalid',
    ],
  ])('refuses %s', async (_what, manifest, code) => {
    expect(await codes(manifest(), greet)).toContain(code);
  });

  it('refuses proc.exec with a signature field no keyring signer verifies', async () => {
    const m = manifestFor(greet, {
      permissions: { 'proc.exec': { binaries: ['/bin/ls'] } },
      signing: { sha256: sha256Hex(greet), signer_id: 'me', signature: 'forged' },
    });
    expect(await codes(m, greet)).toEqual(
      expect.arrayContaining(['signer_unknown', 'proc_exec_untrusted']),
    );
  });

  it.each([
    ['WASI', 'wasi_snapshot_preview1', 'fd_write'],
    ['the kernel HTTP that follows redirects', 'extism:host/env', 'http_request'],
    ['a kernel function the sandbox does not run', 'extism:host/env', 'http_headers'],
    ['an unknown kernel function', 'extism:host/env', 'alloc_unchecked'],
    ['a host function outside the ABI', 'extism:host/user', 'spawn_shell'],
    ['the JS environment', 'env', 'eval'],
  ])('refuses a module importing %s', async (_what, namespace, name) => {
    const module = moduleImporting(namespace, name);
    expect(await codes(manifestFor(module, { capabilities: {} }), module)).toEqual([
      'import_forbidden',
    ]);
  });

  it('accepts a module importing a kernel function with its Extism type', async () => {
    const module = moduleImporting('extism:host/env', 'log_error', [I64]);
    expect(await codes(manifestFor(module, { capabilities: {} }), module)).toEqual([]);
  });

  it('accepts a module importing a host function of the ABI as (i64) -> i64', async () => {
    const module = moduleImporting('extism:host/user', 'fs_read', [I64], [I64]);
    expect(await codes(manifestFor(module, { capabilities: {} }), module)).toEqual([]);
  });

  it.each([
    ['a host function of the ABI', 'extism:host/user', 'fs_read', [I32], [I64], '(i64) -> (i64)'],
    ['a host function with no result', 'extism:host/user', 'log', [I64], [], '(i64) -> (i64)'],
    ['a kernel function', 'extism:host/env', 'alloc', [I32], [I32], '(i64) -> (i64)'],
    [
      'a kernel function with a result',
      'extism:host/env',
      'store_u8',
      [I64, I32],
      [I64],
      '(i64, i32) -> ()',
    ],
  ])(
    'refuses %s imported with the wrong type, naming the right one',
    async (_what, namespace, name, params, results, expected) => {
      const module = moduleImporting(namespace, name, params, results);
      expect(
        await checkSubmission(manifestFor(module, { capabilities: {} }), module, context),
      ).toEqual({
        ok: false,
        findings: [
          {
            code: 'import_forbidden',
            message: `import "${namespace}" "${name}" must have type ${expected}`,
          },
        ],
      });
    },
  );

  it('refuses a module declaring a 10,000,000-entry table, naming the resource and the value', async () => {
    const module = moduleDeclaring([[0x00, 10_000_000]]);
    const result = await checkSubmission(
      manifestFor(module, { capabilities: {} }),
      module,
      context,
    );
    expect(result).toEqual({
      ok: false,
      findings: [
        {
          code: 'module_table_too_large',
          message: 'table 0 initial entries: 10000000, more than the limit of 100000',
          value: '10000000',
        },
      ],
    });
  });

  it('reports every bound a module breaks', async () => {
    const module = moduleDeclaring(new Array<number[]>(5).fill([0x01, 1, 200_000]), [], 10_001);
    expect(await codes(manifestFor(module, { capabilities: {} }), module)).toEqual([
      'module_too_many_tables',
      ...new Array<string>(5).fill('module_table_too_large'),
      'module_too_many_globals',
    ]);
  });

  it.each(['_start', '_initialize', 'hs_init', '__convergio_fuel'])(
    'refuses a module exporting %s, which would run before its budget or is reserved',
    async (name) => {
      const module = moduleDeclaring([], [name]);
      expect(
        await checkSubmission(manifestFor(module, { capabilities: {} }), module, context),
      ).toEqual({
        ok: false,
        findings: [expect.objectContaining({ code: 'module_export_reserved', value: name })],
      });
    },
  );

  it('accepts tables within the limits', async () => {
    const module = moduleDeclaring([
      [0x00, 100_000],
      [0x01, 1, 10],
    ]);
    expect(await codes(manifestFor(module, { capabilities: {} }), module)).toEqual([]);
  });

  it('refuses a module importing a table, even from the kernel namespace', async () => {
    const str = (s: string) => [s.length, ...Buffer.from(s)];
    const module = Uint8Array.from([
      ...WASM_HEADER,
      ...wasmSection(2, [1, ...str('extism:host/env'), ...str('alloc'), 0x01, FUNCREF, 0x00, 1]),
    ]);
    expect(await codes(manifestFor(module, { capabilities: {} }), module)).toEqual([
      'import_forbidden',
    ]);
  });

  it('refuses bytes that are not WebAssembly', async () => {
    const junk = Buffer.from('MZ not wasm');
    expect(await codes(manifestFor(junk, { capabilities: {} }), junk)).toEqual(['module_invalid']);
  });

  it('reports every operator policy violation with its rule and value, besides the other findings', async () => {
    const m = manifestFor(greet, {
      min_core_version: '2.0.0',
      permissions: {
        'fs.read': { paths: ['/', '/srv/convergio/artifacts'] },
        'proc.exec': { binaries: ['/bin/ls'] },
      },
    });
    const result = await checkSubmission(m, greet, context);
    expect(result.ok).toBe(false);
    expect(result.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'policy_violation', rule: 'filesystem.roots', value: '/' }),
        expect.objectContaining({
          code: 'policy_violation',
          rule: 'protected_paths',
          value: '/srv/convergio/artifacts',
        }),
        expect.objectContaining({ code: 'policy_violation', rule: 'permissions.denied' }),
        expect.objectContaining({ code: 'proc_exec_untrusted' }),
        expect.objectContaining({ code: 'core_version_incompatible' }),
      ]),
    );
  });

  it("passes the plugin's own directory and lists grants the policy sends to an admin", async () => {
    const own = manifestFor(greet, { permissions: { 'fs.read': { paths: ['$PLUGIN_DIR'] } } });
    expect(await checkSubmission(own, greet, context)).toMatchObject({
      ok: true,
      adminRequired: [],
    });
    const shared = manifestFor(greet, { permissions: { 'fs.read': { paths: ['/srv/docs'] } } });
    const policy = {
      ...DEFAULT_GRANT_POLICY,
      filesystem: {
        ...DEFAULT_GRANT_POLICY.filesystem,
        roots: [{ path: '/srv/docs', access: 'read' as const }],
      },
    };
    expect(await checkSubmission(shared, greet, { ...context, policy })).toMatchObject({
      ok: true,
      adminRequired: [expect.objectContaining({ permission: 'fs.read' })],
    });
  });
  describe('tool input schemas', () => {
    const withSchema = (input_schema: Record<string, unknown>) =>
      manifestFor(greet, {
        capabilities: {
          tools: [{ name: 'greet', function: 'greet', description: 'Says hello', input_schema }],
        },
      });
    const nested = (depth: number): Record<string, unknown> =>
      depth === 0 ? { type: 'string' } : { type: 'array', items: nested(depth - 1) };
    const findings = async (schema: Record<string, unknown>) =>
      (await checkSubmission(withSchema(schema), greet, context)).findings;

    it.each([
      ['a backreference', { type: 'string', pattern: '^(a)\\1$' }],
      ['a lookahead', { type: 'string', pattern: 'a(?=b)' }],
      [
        'a lookbehind in patternProperties',
        { patternProperties: { '(?<!a)b': { type: 'string' } } },
      ],
      ['a pattern that is not a regular expression', { type: 'string', pattern: '[' }],
      ['an unknown type', { type: 'nope' }],
      ['a reference to nothing', { $ref: '#/definitions/missing' }],
      ['a reference to a remote schema', { $ref: 'https://example.com/schema.json' }],
      ['$async, whose validator answers with a promise', { $async: true, type: 'object' }],
    ])('refuses a schema with %s: input_schema_invalid naming the tool', async (_w, schema) => {
      expect(await findings(schema)).toEqual([
        expect.objectContaining({
          code: 'input_schema_invalid',
          path: '/capabilities/tools/0/input_schema',
        }),
      ]);
    });

    it('refuses a schema nested deeper than 32 levels, and accepts 32', async () => {
      // nested(n) is n + 1 objects deep.
      expect((await findings(nested(32))).map((f) => f.code)).toEqual(['input_schema_too_deep']);
      expect(await findings(nested(31))).toEqual([]);
    });

    it('holds schemas to the bounds of the context, naming each setting', async () => {
      const bounds = { maxBytes: 1024, maxDepth: 4 };
      const within = async (schema: Record<string, unknown>) =>
        (
          await checkSubmission(withSchema(schema), greet, {
            ...context,
            inputSchemaBounds: bounds,
          })
        ).findings;
      expect(await within(nested(3))).toEqual([]);
      expect(await within(nested(4))).toEqual([
        expect.objectContaining({
          code: 'input_schema_too_deep',
          message: expect.stringContaining(
            'deeper than 4 levels, the limit set by INPUT_SCHEMA_MAX_DEPTH',
          ),
        }),
      ]);
      expect(await within({ type: 'string', description: 'x'.repeat(1024) })).toEqual([
        expect.objectContaining({
          code: 'input_schema_too_large',
          message: expect.stringContaining(
            'more than 1024, the limit set by INPUT_SCHEMA_MAX_BYTES',
          ),
        }),
      ]);
    });

    it('refuses a schema larger than 64 KiB', async () => {
      const properties = Object.fromEntries(
        Array.from({ length: 3000 }, (_, i) => [`field_${i}`, { type: 'string', maxLength: 64 }]),
      );
      expect((await findings({ type: 'object', properties })).map((f) => f.code)).toEqual([
        'input_schema_too_large',
      ]);
    });

    it('accepts patterns a linear-time engine runs, ^(a|a)*$ included', async () => {
      expect(await findings({ type: 'string', pattern: '^(a|a)*$' })).toEqual([]);
      expect(
        await findings({ type: 'object', patternProperties: { '^[a-z]+\\d{2}$': {} } }),
      ).toEqual([]);
    });
  });
});
