import { routeKernelImports, SANDBOX_KERNEL_NAMESPACE } from './kernel-imports.js';
import { wat } from './testing/hostile-modules.js';

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
});
