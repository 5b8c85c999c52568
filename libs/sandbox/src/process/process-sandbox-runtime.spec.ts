import type { PluginIdentity } from '../host-api.js';
import { TEST_LIMITS, TEST_POLICY } from '../testing/test-policy.js';
import type { SandboxError } from '../sandbox-error.js';
import type { LoadedSandboxPlugin } from '../sandbox-plugin.js';
import { PLUGIN_WAT, wat, type TestModule } from '../testing/hostile-modules.js';
import { TEST_HOST_FUNCTION_NAMES } from '../testing/test-host-functions.js';
import { ProcessSandboxRuntime } from './process-sandbox-runtime.js';

const text = (value: string) => new TextEncoder().encode(value);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
// The calls made so far have reached the sandbox process's channel (they cross in order).
const sent = () => new Promise((resolve) => setImmediate(resolve));
const identity = (id: string): PluginIdentity => ({ id, version: '1.0.0', trust: 'untrusted' });

describe('ProcessSandboxRuntime: one OS process per plugin version', () => {
  let plugin: TestModule;
  const crashes: { plugin: string; error: SandboxError }[] = [];
  const denials: string[] = [];
  const loaded: LoadedSandboxPlugin[] = [];
  const runtime = () =>
    new ProcessSandboxRuntime({
      hostFunctionsModule: new URL('../testing/test-host-functions.ts', import.meta.url),
      hostFunctions: TEST_HOST_FUNCTION_NAMES,
      services: {
        module: new URL('../testing/test-host-functions.ts', import.meta.url).href,
        options: null,
      },
      policy: TEST_POLICY,
      defaults: TEST_LIMITS,
      memoryCeilingBytes: 1 << 30,
      onCrash: (who, error) => crashes.push({ plugin: who.id, error }),
      onDenied: (who) => denials.push(who.id),
    });
  const load = async (id: string, module = plugin) => {
    const instance = await runtime().load(module.bytes, module.sha256, {
      identity: identity(id),
      grants: {},
    });
    loaded.push(instance);
    return instance;
  };

  beforeAll(async () => {
    plugin = await wat(PLUGIN_WAT);
  });
  afterEach(async () => {
    crashes.splice(0);
    await Promise.all(loaded.splice(0).map((p) => p.close()));
  });

  it('runs calls, host functions, main-thread operations and refusals in the sandbox process', async () => {
    const p = await load('test.echo');
    expect(decode((await p.call('echo', text('hello'))).output)).toBe('hello');
    expect(
      JSON.parse(decode((await p.call('call_add_main', text('{"a":2,"b":3}'))).output)),
    ).toMatchObject({ sum: 5 });
    await p.call('call_deny_me', text('{"path":"/etc/passwd"}'));
    expect(denials).toContain('test.echo');
    await expect(p.call('nope', text(''))).rejects.toMatchObject({ code: 'function_not_found' });
  });

  it('survives a plugin that aborts its whole process: only its calls fail, it is recorded and restarted', async () => {
    const victim = await load('test.abort');
    const bystander = await load('test.bystander');
    const stopped = victim.call('call_abort_process', text('{}'));
    const served = bystander.call('echo', text('still here'));
    await expect(stopped).rejects.toMatchObject({ code: 'sandbox_crashed' });
    expect(decode((await served).output)).toBe('still here');
    expect(crashes.map((c) => c.plugin)).toEqual(['test.abort']);
    // The next call starts a fresh process for it.
    expect(decode((await victim.call('echo', text('back'))).output)).toBe('back');
    expect(decode((await bystander.call('echo', text('again'))).output)).toBe('again');
  });

  it('refuses calls once closed, and starts no process for them', async () => {
    const p = await load('test.closed');
    await p.close();
    await expect(p.call('echo', text('x'))).rejects.toMatchObject({ code: 'plugin_closed' });
  });

  it('on close, lets the running and queued calls finish and answers every one', async () => {
    const p = await runtime().load(plugin.bytes, plugin.sha256, {
      identity: identity('test.drained'),
      grants: {},
    });
    const running = p.call('call_sleep_main', text('{"ms":300}'));
    const queued = [p.call('echo', text('one')), p.call('echo', text('two'))];
    await sent();
    await p.close();
    expect(JSON.parse(decode((await running).output))).toBe('slept');
    expect((await Promise.all(queued)).map((r) => decode(r.output))).toEqual(['one', 'two']);
  });

  it('on close refusing the queued calls (a paused plugin), fails them with plugin_closed, unrun, and lets the running one finish', async () => {
    const p = await runtime().load(plugin.bytes, plugin.sha256, {
      identity: identity('test.paused'),
      grants: {},
    });
    const running = p.call('call_sleep_main', text('{"ms":300}'));
    const queued = Promise.allSettled([
      p.call('call_deny_me', text('{"path":"/a"}')),
      p.call('echo', text('two')),
    ]);
    await sent();
    await p.close({ refuseQueued: true });
    expect(JSON.parse(decode((await running).output))).toBe('slept');
    expect(await queued).toEqual([
      { status: 'rejected', reason: expect.objectContaining({ code: 'plugin_closed' }) },
      { status: 'rejected', reason: expect.objectContaining({ code: 'plugin_closed' }) },
    ]);
    expect(denials).not.toContain('test.paused');
    expect(crashes).toEqual([]);
  });
});
