import { inspectModule } from './inspect-module.js';
import { SandboxError } from './sandbox-error.js';
import { readWasmFixture } from './testing/plugin-fixtures.js';
import { moduleImportingFunction } from './testing/wasm-builder.js';

describe('inspectModule', () => {
  it('lists the exports of an allowed module', async () => {
    const { exports } = await inspectModule(readWasmFixture('greet.wasm').bytes);
    expect(exports).toEqual(expect.arrayContaining([{ name: 'greet', kind: 'function' }]));
  });

  it.each([
    ['wasi_snapshot_preview1', 'fd_write'],
    ['env', 'abort'],
    ['extism:host/env', 'http_request'],
  ])('refuses an import of %s.%s, naming it', async (namespace, field) => {
    await expect(inspectModule(moduleImportingFunction(namespace, field))).rejects.toMatchObject({
      code: 'module_import_forbidden',
      message: expect.stringContaining(`"${namespace}" "${field}"`),
    });
  });

  it.each([
    ['extism:host/env', 'alloc'],
    ['extism:host/user', 'fs_read'],
  ])('allows an import of %s.%s', async (namespace, field) => {
    await expect(inspectModule(moduleImportingFunction(namespace, field))).resolves.toBeDefined();
  });

  it('refuses bytes that are not wasm as module_invalid', async () => {
    const attempt = inspectModule(new TextEncoder().encode('not wasm'));
    await expect(attempt).rejects.toBeInstanceOf(SandboxError);
    await expect(attempt).rejects.toMatchObject({ code: 'module_invalid' });
  });
});
