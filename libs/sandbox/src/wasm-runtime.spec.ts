import { createHash } from 'node:crypto';
import type { LoadedPlugin } from './loaded-plugin.js';
import type { SandboxLogger } from './plugin-log-sink.js';
import type { LoadOptions } from './sandbox-options.js';
import { readWasmFixture, type WasmFixture } from './testing/plugin-fixtures.js';
import { moduleCallingImport } from './testing/wasm-builder.js';
import { WasmRuntime } from './wasm-runtime.js';

const text = (value: string) => new TextEncoder().encode(value);
const json = (bytes: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(bytes));
const quietLogger: SandboxLogger = { warn: () => undefined, error: () => undefined };
const MAX_PAGES = 64;

describe('WasmRuntime', () => {
  let greetWasm: WasmFixture;
  let fixturesWasm: WasmFixture;
  let compiles: number;
  let runtime: WasmRuntime;
  const loaded: LoadedPlugin[] = [];

  async function load(fixture: WasmFixture, options?: LoadOptions): Promise<LoadedPlugin> {
    const plugin = await runtime.load(fixture.bytes, fixture.sha256, options);
    loaded.push(plugin);
    return plugin;
  }

  beforeAll(() => {
    greetWasm = readWasmFixture('greet.wasm');
    fixturesWasm = readWasmFixture('fixtures.wasm');
  });

  beforeEach(() => {
    compiles = 0;
    runtime = new WasmRuntime({
      timeoutMs: 300,
      maxMemoryPages: MAX_PAGES,
      logger: quietLogger,
      compile: (bytes) => {
        compiles++;
        return WebAssembly.compile(bytes);
      },
    });
  });

  afterEach(async () => {
    await Promise.all(loaded.splice(0).map((plugin) => plugin.close()));
  });

  it('greets by name', async () => {
    const greet = await load(greetWasm);
    const { output, durationMs } = await greet.call('greet', text('{"name": "Ada"}'));
    expect(json(output)).toEqual({ greeting: 'Hello, Ada!' });
    expect(durationMs).toBeGreaterThan(0);
  });

  it('greets a non-ASCII name with correct UTF-8', async () => {
    const greet = await load(greetWasm);
    const { output } = await greet.call('greet', text('{"name": "Zoë \\"Z\\" 😀"}'));
    expect(json(output)).toEqual({ greeting: 'Hello, Zoë "Z" 😀!' });
  });

  it.each(['{}', '{"name": ""}', '{"name": 7}'])('refuses %s as a plugin error', async (input) => {
    const greet = await load(greetWasm);
    await expect(greet.call('greet', text(input))).rejects.toMatchObject({
      code: 'plugin_error',
      message: 'name is required',
    });
  });

  it('compiles a module once, however often it is loaded', async () => {
    await load(greetWasm);
    const again = await load(greetWasm);
    expect(compiles).toBe(1);
    expect(json((await again.call('greet', text('{"name":"Bob"}'))).output)).toEqual({
      greeting: 'Hello, Bob!',
    });
  });

  it('refuses bytes that do not hash to the given sha256, without caching them', async () => {
    await expect(runtime.load(fixturesWasm.bytes, greetWasm.sha256)).rejects.toMatchObject({
      code: 'module_hash_mismatch',
    });
    expect(compiles).toBe(0);
    await load(greetWasm);
    expect(compiles).toBe(1);
  });

  it('refuses a call to a function the module does not export', async () => {
    const plugin = await load(fixturesWasm);
    await expect(plugin.call('exfiltrate', text(''))).rejects.toMatchObject({
      code: 'function_not_found',
    });
  });

  it('stops an endless loop with timeout and keeps the plugin usable', async () => {
    const plugin = await load(fixturesWasm);
    await expect(plugin.call('spin', text(''))).rejects.toMatchObject({ code: 'timeout' });
    expect(new TextDecoder().decode((await plugin.call('echo', text('still here'))).output)).toBe(
      'still here',
    );
  });

  it('stops a memory bomb at the page cap and keeps the plugin usable', async () => {
    const plugin = await load(fixturesWasm);
    await expect(plugin.call('membomb', text(''))).rejects.toMatchObject({ code: 'trap' });
    expect(new TextDecoder().decode((await plugin.call('echo', text('after bomb'))).output)).toBe(
      'after bomb',
    );
  });

  it('reports an input larger than the host memory limit as memory_limit', async () => {
    const plugin = await load(fixturesWasm);
    const tooBig = new Uint8Array(MAX_PAGES * 65536 + 1);
    await expect(plugin.call('echo', tooBig)).rejects.toMatchObject({ code: 'memory_limit' });
    expect(new TextDecoder().decode((await plugin.call('echo', text('fits'))).output)).toBe('fits');
  });

  it('reports error_set as plugin_error without the Extism prefix', async () => {
    const plugin = await load(fixturesWasm);
    await expect(plugin.call('fail', text(''))).rejects.toMatchObject({
      code: 'plugin_error',
      message: 'boom',
    });
  });

  it('reports a trap as trap and keeps the plugin usable', async () => {
    const plugin = await load(fixturesWasm);
    await expect(plugin.call('trap', text(''))).rejects.toMatchObject({ code: 'trap' });
    await expect(plugin.call('noop', text(''))).resolves.toMatchObject({
      output: new Uint8Array(0),
    });
  });

  it('gives each of two concurrent calls its own output', async () => {
    const plugin = await load(fixturesWasm);
    const [first, second] = await Promise.all([
      plugin.call('echo', text('first')),
      plugin.call('echo', text('second')),
    ]);
    expect(new TextDecoder().decode(first.output)).toBe('first');
    expect(new TextDecoder().decode(second.output)).toBe('second');
  });

  it('refuses calls after close', async () => {
    const plugin = await load(fixturesWasm);
    await plugin.close();
    await expect(plugin.call('noop', text(''))).rejects.toMatchObject({ code: 'plugin_closed' });
  });

  it('closes a plugin whose host function threw, instead of letting the next call hang', async () => {
    const bytes = moduleCallingImport('extism:host/user', 'boom');
    const plugin = await load(
      { bytes, sha256: createHash('sha256').update(bytes).digest('hex') },
      {
        functions: {
          'extism:host/user': {
            boom: () => {
              throw new Error('host exploded');
            },
          },
        },
      },
    );
    await expect(plugin.call('run', text(''))).rejects.toMatchObject({
      code: 'runtime_failure',
      message: 'host exploded',
    });
    await expect(plugin.call('run', text(''))).rejects.toMatchObject({ code: 'plugin_closed' });
  });

  it('refuses a module importing a host function it was not given, and the process survives', async () => {
    const bytes = moduleCallingImport('extism:host/user', 'fs_read');
    const fixture = { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
    await expect(load(fixture)).rejects.toMatchObject({
      code: 'module_import_forbidden',
      message: expect.stringContaining('fs_read'),
    });
    const greet = await load(greetWasm);
    expect(json((await greet.call('greet', text('{"name":"Ada"}'))).output)).toEqual({
      greeting: 'Hello, Ada!',
    });
  });
});
