import type { PluginIdentity } from './host-api.js';
import type { LoadedSandboxPlugin } from './sandbox-plugin.js';
import { SandboxRuntime, type PluginSpec } from './sandbox-runtime.js';
import { PLUGIN_WAT, wat, type TestModule } from './testing/hostile-modules.js';
import { TEST_LIMITS, TEST_POLICY } from './testing/test-policy.js';
import { TEST_HOST_FUNCTION_NAMES } from './testing/test-host-functions.js';

const text = (value: string) => new TextEncoder().encode(value);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const identity = (id: string): PluginIdentity => ({ id, version: '1.0.0', trust: 'untrusted' });

// The test compiler's schemas (testing/test-input-check.ts).
const SCHEMAS = {
  needs_name: { required: ['name'] },
  needs_id: { required: ['id'] },
  spins: { spin: true },
  unusable: { unusable: 'this schema cannot be compiled' },
};

/**
 * A plugin's input schemas are compiled and run inside its own worker, as part of the call that
 * names one: under its wall time, before its function runs, on no thread another plugin uses.
 */
describe('SandboxRuntime input schemas', () => {
  let plugin: TestModule;
  let runtime: SandboxRuntime;
  let logged: string[];
  const loaded: LoadedSandboxPlugin[] = [];

  async function load(id: string, spec: Partial<PluginSpec> = {}) {
    const instance = await runtime.load(plugin.bytes, plugin.sha256, {
      identity: identity(id),
      grants: {},
      inputSchemas: SCHEMAS,
      ...spec,
    });
    loaded.push(instance);
    return instance;
  }

  beforeAll(async () => {
    plugin = await wat(PLUGIN_WAT);
  });

  beforeEach(() => {
    logged = [];
    runtime = new SandboxRuntime({
      hostFunctionsModule: new URL('./testing/test-host-functions.ts', import.meta.url),
      hostFunctions: TEST_HOST_FUNCTION_NAMES,
      inputCheck: {
        module: new URL('./testing/test-input-check.ts', import.meta.url).href,
        options: null,
      },
      policy: TEST_POLICY,
      defaults: TEST_LIMITS,
      logger: { warn: () => undefined, error: () => undefined },
      onLog: (who) => logged.push(who.id),
    });
  });

  afterEach(async () => {
    await Promise.all(loaded.splice(0).map((instance) => instance.close()));
  });

  it('refuses input that breaks the schema the call names with input_invalid and every problem; the function does not run', async () => {
    const p = await load('test.refused');
    await expect(
      p.call('call_log_it', text('{"id":1}'), { inputSchema: 'needs_name' }),
    ).rejects.toMatchObject({
      code: 'input_invalid',
      message: 'compilation 1 refused the input',
      details: [{ code: 'required', message: 'no name', path: '/name' }],
      resources: expect.objectContaining({ fuel_used: 0, host_calls: 0 }),
    });
    expect(logged).toEqual([]);
    await p.call('call_log_it', text('{"name":"Ada"}'), { inputSchema: 'needs_name' });
    expect(logged).toEqual(['test.refused']);
  });

  it('refuses input that is not JSON under a schema, and checks nothing for a call that names none', async () => {
    const p = await load('test.unchecked');
    await expect(
      p.call('echo', text('not json'), { inputSchema: 'needs_name' }),
    ).rejects.toMatchObject({ code: 'input_invalid', message: expect.stringMatching(/not JSON/) });
    expect(decode((await p.call('echo', text('not json'))).output)).toBe('not json');
  });

  it('compiles each schema once per instance, on the first call that names it', async () => {
    const p = await load('test.compiled-once');
    const refusal = (inputSchema: string) =>
      p.call('echo', text('{}'), { inputSchema }).catch((error: Error) => error.message);
    // needs_name is declared first but named second: compilations follow use, not declaration.
    expect(await refusal('needs_id')).toBe('compilation 1 refused the input');
    expect(await refusal('needs_name')).toBe('compilation 2 refused the input');
    expect(await refusal('needs_id')).toBe('compilation 1 refused the input');
  });

  it('answers input_schema_invalid, every time, for a schema that does not compile or is not declared', async () => {
    const p = await load('test.unusable');
    for (let i = 0; i < 2; i++)
      await expect(p.call('echo', text('{}'), { inputSchema: 'unusable' })).rejects.toMatchObject({
        code: 'input_schema_invalid',
        message: 'this schema cannot be compiled',
      });
    await expect(p.call('echo', text('{}'), { inputSchema: 'missing' })).rejects.toMatchObject({
      code: 'input_schema_invalid',
      message: 'the plugin declares no input schema "missing"',
    });
    expect(decode((await p.call('echo', text('{}'))).output)).toBe('{}');
  });

  it('stops a check that never ends at the wall time, while another plugin is served, and serves the next call', async () => {
    const hostile = await load('test.spins', { limits: { wallTimeMs: 500 } });
    const bystander = await load('test.bystander');
    const stalled = hostile.call('echo', text('{}'), { inputSchema: 'spins' });
    expect(decode((await bystander.call('echo', text('served'))).output)).toBe('served');
    await expect(stalled).rejects.toMatchObject({ code: 'timeout' });
    expect(decode((await hostile.call('echo', text('back'))).output)).toBe('back');
  });

  it('refuses to load a plugin with input schemas when the runtime has no compiler', async () => {
    runtime = new SandboxRuntime({
      hostFunctionsModule: new URL('./testing/test-host-functions.ts', import.meta.url),
      hostFunctions: TEST_HOST_FUNCTION_NAMES,
      policy: TEST_POLICY,
      defaults: TEST_LIMITS,
      logger: { warn: () => undefined, error: () => undefined },
    });
    await expect(load('test.no-compiler')).rejects.toMatchObject({
      code: 'runtime_failure',
      message: 'the plugin has input schemas and no compiler',
    });
  });
});
