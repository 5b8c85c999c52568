import type { KernelFunction } from '@convergio/contracts';
import {
  EXTISM_KERNEL_NAMESPACE,
  KERNEL_SIGNATURES,
  routeKernelImports,
  SANDBOX_KERNEL_NAMESPACE,
} from './kernel-imports.js';
import { importingWat, wat } from './testing/hostile-modules.js';

const importsOf = (bytes: Uint8Array) =>
  WebAssembly.Module.imports(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>));

describe('routeKernelImports', () => {
  it('moves every kernel import to the sandbox kernel and leaves the others as they were', async () => {
    const { bytes } = await wat(`(module
      (import "extism:host/env" "alloc" (func (param i64) (result i64)))
      (import "extism:host/user" "log" (func (param i64) (result i64)))
      (import "extism:host/env" "store_u8" (func (param i64 i32)))
      (memory (export "memory") 1))`);
    expect(importsOf(routeKernelImports(bytes))).toEqual([
      { module: SANDBOX_KERNEL_NAMESPACE, name: 'alloc', kind: 'function' },
      { module: 'extism:host/user', name: 'log', kind: 'function' },
      { module: SANDBOX_KERNEL_NAMESPACE, name: 'store_u8', kind: 'function' },
    ]);
  });

  it('keeps a module without imports byte for byte', async () => {
    const { bytes } = await wat('(module (func (export "run") (result i32) (i32.const 0)))');
    expect(routeKernelImports(bytes)).toEqual(bytes);
  });

  it.each(Object.keys(KERNEL_SIGNATURES))('accepts %s with its Extism type', async (name) => {
    const { params, results } = KERNEL_SIGNATURES[name as KernelFunction];
    const type = (p: number[], r: number[]) =>
      `(param ${p.map((t) => (t === 0x7e ? 'i64' : 'i32')).join(' ')}) (result ${r.map((t) => (t === 0x7e ? 'i64' : 'i32')).join(' ')})`;
    const { bytes } = await wat(importingWat(EXTISM_KERNEL_NAMESPACE, name, type(params, results)));
    expect(importsOf(routeKernelImports(bytes))[0].module).toBe(SANDBOX_KERNEL_NAMESPACE);
  });

  it.each([
    [
      'a kernel function the sandbox does not implement',
      'http_request',
      '(param i64 i64) (result i64)',
    ],
    ['an unknown kernel name', 'alloc_unchecked', '(param i64) (result i64)'],
    ['a prototype key', '__proto__', '(param i64) (result i64)'],
    ['alloc with i32 size', 'alloc', '(param i32) (result i32)'],
    ['store_u8 with a result', 'store_u8', '(param i64 i32) (result i64)'],
    ['log_error without its argument', 'log_error', ''],
  ])('refuses %s as module_import_forbidden', async (_, name, type) => {
    const { bytes } = await wat(importingWat(EXTISM_KERNEL_NAMESPACE, name, type));
    expect(() => routeKernelImports(bytes)).toThrow(
      expect.objectContaining({ code: 'module_import_forbidden' }),
    );
  });

  it('refuses a kernel import that is not a function', async () => {
    const { bytes } = await wat('(module (import "extism:host/env" "alloc" (global i64)))');
    expect(() => routeKernelImports(bytes)).toThrow(
      expect.objectContaining({ code: 'module_import_forbidden' }),
    );
  });
});
