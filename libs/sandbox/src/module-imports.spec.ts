import type { KernelFunction } from '@convergio/contracts';
import { KERNEL_SIGNATURES } from './kernel-imports.js';
import { checkImports, findImportViolations } from './module-imports.js';
import { importingWat, wat } from './testing/hostile-modules.js';
import { moduleImportingFunction } from './testing/wasm-builder.js';

/** The host-function table these tests load: a non-ABI one, as the sandbox's own tests use. */
const TABLE = ['echo_host', 'log'];
const KERNEL = 'extism:host/env';
const HOST = 'extism:host/user';

const wasmType = (t: number) => (t === 0x7e ? 'i64' : 'i32');
const watType = ({ params, results }: { params: number[]; results: number[] }) =>
  `(param ${params.map(wasmType).join(' ')}) (result ${results.map(wasmType).join(' ')})`;

const messages = async (source: string) =>
  findImportViolations((await wat(source)).bytes, TABLE).map((v) => v.message);

describe('findImportViolations', () => {
  it.each(Object.keys(KERNEL_SIGNATURES))(
    'accepts the kernel function %s with its Extism type',
    async (name) => {
      const type = watType(KERNEL_SIGNATURES[name as KernelFunction]);
      expect(await messages(importingWat(KERNEL, name, type))).toEqual([]);
    },
  );

  it.each(TABLE)('accepts the host function %s of the table as (i64) -> i64', async (name) => {
    expect(await messages(importingWat(HOST, name))).toEqual([]);
  });

  it.each([
    ['WASI', 'wasi_snapshot_preview1', 'fd_write', '(param i32 i32 i32 i32) (result i32)'],
    ['the JS environment', 'env', 'abort', ''],
    [
      "the SDK's HTTP, which follows redirects past allowlists",
      KERNEL,
      'http_request',
      '(param i64 i64) (result i64)',
    ],
    ['an unknown kernel name', KERNEL, 'alloc_unchecked', '(param i64) (result i64)'],
    ['a prototype key', KERNEL, '__proto__', '(param i64) (result i64)'],
    ['a host function not in the table', HOST, 'fs_read', '(param i64) (result i64)'],
    ['a kernel name under the host namespace', HOST, 'alloc', '(param i64) (result i64)'],
  ])('refuses %s, naming the import', async (_what, namespace, name, type) => {
    expect(await messages(importingWat(namespace, name, type))).toEqual([
      `import "${namespace}" "${name}" is not a function the plugin ABI offers`,
    ]);
  });

  it.each([
    [
      'a host function taking an i32',
      HOST,
      'echo_host',
      '(param i32) (result i64)',
      '(i64) -> (i64)',
    ],
    ['a host function without its argument', HOST, 'log', '(result i64)', '(i64) -> (i64)'],
    ['alloc with an i32 size', KERNEL, 'alloc', '(param i32) (result i32)', '(i64) -> (i64)'],
    [
      'store_u8 with a result',
      KERNEL,
      'store_u8',
      '(param i64 i32) (result i64)',
      '(i64, i32) -> ()',
    ],
    ['log_error without its argument', KERNEL, 'log_error', '', '(i64) -> ()'],
  ])('refuses %s, naming the type it must have', async (_what, namespace, name, type, expected) => {
    expect(await messages(importingWat(namespace, name, type))).toEqual([
      `import "${namespace}" "${name}" must have type ${expected}`,
    ]);
  });

  it.each([
    ['a table', '(import "extism:host/env" "alloc" (table 1 funcref))', 'table'],
    ['a memory', '(import "extism:host/user" "log" (memory 1))', 'memory'],
    ['a global', '(import "env" "g" (global i64))', 'global'],
  ])('refuses %s, even under an allowed name', async (_what, entry, kind) => {
    expect(await messages(`(module ${entry})`)).toEqual([
      expect.stringContaining(`is a ${kind}; only functions may be imported`),
    ]);
  });

  it('reports every refused import, in import order', async () => {
    const source = `(module
      (import "env" "abort" (func))
      (import "${HOST}" "echo_host" (func (param i64) (result i64)))
      (import "${KERNEL}" "alloc" (func (param i32) (result i32))))`;
    expect(await messages(source)).toEqual([
      'import "env" "abort" is not a function the plugin ABI offers',
      'import "extism:host/env" "alloc" must have type (i64) -> (i64)',
    ]);
  });

  it('refuses bytes that are not wasm as module_invalid', () => {
    expect(() => findImportViolations(new TextEncoder().encode('not wasm'), TABLE)).toThrow(
      expect.objectContaining({ code: 'module_invalid' }),
    );
  });
});

describe('checkImports', () => {
  it('refuses the first violation as module_import_forbidden', () => {
    expect(() => checkImports(moduleImportingFunction('env', 'abort'), TABLE)).toThrow(
      expect.objectContaining({
        code: 'module_import_forbidden',
        message: 'import "env" "abort" is not a function the plugin ABI offers',
      }),
    );
  });

  it('lets a module without imports through', async () => {
    const { bytes } = await wat('(module (func (export "run") (result i32) (i32.const 0)))');
    expect(() => checkImports(bytes, TABLE)).not.toThrow();
  });
});
