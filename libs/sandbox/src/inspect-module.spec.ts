import { inspectModule } from './inspect-module.js';
import { SandboxError } from './sandbox-error.js';
import { readWasmFixture } from './testing/plugin-fixtures.js';

describe('inspectModule', () => {
  it('lists the exports of an allowed module', async () => {
    const { exports } = await inspectModule(readWasmFixture('greet.wasm').bytes);
    expect(exports).toEqual(expect.arrayContaining([{ name: 'greet', kind: 'function' }]));
  });

  it('refuses bytes that are not wasm as module_invalid', async () => {
    const attempt = inspectModule(new TextEncoder().encode('not wasm'));
    await expect(attempt).rejects.toBeInstanceOf(SandboxError);
    await expect(attempt).rejects.toMatchObject({ code: 'module_invalid' });
  });
});
