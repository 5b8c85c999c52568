import { aManifest } from '@convergio/testing';
import { DomainError, RequestSubjects } from '@convergio/contracts';
import { InProcessBusClient, InProcessHub } from '@convergio/messaging';
import { ArtifactError } from '@convergio/artifacts';
import { RecordingBus } from '../recording-bus.spec-helper.js';
import { SandboxError, type CallOptions, type LoadedSandboxPlugin } from '@convergio/sandbox';
import type { RunnableVersions } from '../versions/runnable-versions.js';
import type { PolicyGate } from '../versions/policy-gate.js';
import { InvocationService } from './invocation.service.js';
import type { PluginHost } from './plugin-host.js';
import type { ExecutorSettings } from '../config/executor.config.js';
import { CallMetrics } from '../metrics/call-metrics.js';
import { SecretAccess } from '../secrets/secret-access.js';
import { PluginEvents } from '../lifecycle/plugin-events.js';

const manifest = aManifest({
  capabilities: {
    tools: [
      {
        name: 'greet',
        function: 'greet',
        description: 'says hello',
        input_schema: { type: 'object', required: ['name'] },
      },
    ],
    agents: [{ name: 'chat', function: 'chat', description: 'talks' }],
  },
});

/** The approved version 1.0.0 of example.greet; any other plugin is unknown. */
const versions = {
  runnable: (pluginId: string) => {
    if (pluginId !== 'example.greet')
      throw new DomainError('not_found', `plugin ${pluginId} is unknown`);
    return {
      pluginId,
      version: '1.0.0',
      status: 'approved',
      manifest,
      moduleSha256: 'a'.repeat(64),
    };
  },
} as unknown as RunnableVersions;

/** EXECUTOR_MAX_OUTPUT_BYTES of these tests. */
const MAX_OUTPUT_BYTES = 1000;

/** What a plugin call does: its output, or the error the sandbox answered. */
type Behaviour = (fn: string, input: string, options?: CallOptions) => Uint8Array | Error;

/** A plugin whose every call does what `behave` says. */
function hostWith(behave: Behaviour) {
  const calls: string[] = [];
  const plugin = {
    call: (fn: string, input: Uint8Array, options?: CallOptions) => {
      calls.push(fn);
      const result = behave(fn, new TextDecoder().decode(input), options);
      return result instanceof Error
        ? Promise.reject(result)
        : Promise.resolve({
            output: result,
            resources: { wall_ms: 3, fuel_used: 10, memory_pages: 1, host_calls: 0 },
          });
    },
  } as unknown as LoadedSandboxPlugin;
  const host = {
    load: () => Promise.resolve(plugin),
    unload: () => Promise.resolve(true),
  } as unknown as PluginHost;
  return { calls, host };
}

/** The service over `host`, its breaker pausing a version for `pauseMs` after `threshold` crashes. */
function serviceOn(
  host: PluginHost,
  bus: RecordingBus,
  threshold = 1000,
  pauseMs = 1000,
  secrets = new SecretAccess(bus.asBusClient()),
) {
  return new InvocationService(
    versions,
    host,
    bus.asBusClient(),
    new CallMetrics(),
    {
      breaker: { threshold, baseBackoffMs: pauseMs, maxBackoffMs: pauseMs },
      limits: { maxOutputBytes: MAX_OUTPUT_BYTES },
    } as ExecutorSettings,
    fitsPolicy,
    new PluginEvents(bus.asBusClient()),
    secrets,
  );
}

/** The executor's secret access after example.greet@1.0.0 was released `value` by a broker. */
async function secretsReleasing(value: string): Promise<SecretAccess> {
  const hub = new InProcessHub();
  hub.onRequest(RequestSubjects.SecretsTokenIssue, () =>
    Promise.resolve({ ok: true as const, data: { token: 't', expires_in_s: 60 } }),
  );
  hub.onRequest(RequestSubjects.SecretsRead, () =>
    Promise.resolve({ ok: true as const, data: { value } }),
  );
  const access = new SecretAccess(new InProcessBusClient(hub, 'executor'));
  const plugin = { id: 'example.greet', version: '1.0.0', trust: 'untrusted' as const };
  await access.read(plugin, 'a'.repeat(64), 'db-password', () => undefined);
  return access;
}

function setUp(behave: Behaviour) {
  const bus = new RecordingBus();
  const { host, calls } = hostWith(behave);
  return { bus, calls, service: serviceOn(host, bus) };
}

/** Every version fits the operator policy (PolicyGate has specs of its own). */
const fitsPolicy = { assertFits: () => undefined } as unknown as PolicyGate;

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const greet = { plugin_id: 'example.greet', function: 'greet', input: { name: 'Ada' } };
/** What the sandbox answers input that breaks the tool's schema. */
const refusedInput = () =>
  new SandboxError('input_invalid', 'input does not match the tool input_schema', undefined, [
    { code: 'schema.required', message: "must have required property 'name'", path: '/name' },
  ]);

describe('InvocationService.invoke', () => {
  it('runs the declared function with the JSON input and returns its JSON output', async () => {
    const { service } = setUp((_fn, input) =>
      json({ hello: (JSON.parse(input) as { name: string }).name }),
    );
    await expect(service.invoke(greet)).resolves.toEqual({
      plugin_id: 'example.greet',
      version: '1.0.0',
      function: 'greet',
      output: { hello: 'Ada' },
      duration_ms: 3,
    });
  });

  it('runs a call on a fresh load when the instance it got was unloaded before the call', async () => {
    let closedOnce = false;
    const { service, calls } = setUp(() => {
      if (closedOnce) return json('ran');
      closedOnce = true;
      return new SandboxError('plugin_closed', 'the plugin is closed');
    });
    await expect(service.invoke(greet)).resolves.toMatchObject({ output: 'ran' });
    expect(calls).toEqual(['greet', 'greet']);
  });

  it.each([
    ['\\u escapes', '{"leak":"\\u0048\\u0075nter2-p\\u00e4ss"}'],
    ['escapes of every non-ASCII character (Python json.dumps)', '["Hunter2-p\\u00e4ss"]'],
  ])('scrubs a released value from output that spells it with %s', async (_how, raw) => {
    const bus = new RecordingBus();
    const { host } = hostWith(() => new TextEncoder().encode(raw));
    const service = serviceOn(host, bus, 1000, 1000, await secretsReleasing('Hunter2-p\u00e4ss'));
    const { output } = await service.invoke(greet);
    expect(JSON.stringify(output)).toContain('[REDACTED]');
    expect(JSON.stringify(output)).not.toMatch(/Hunter2|u0048/);
  });

  it('hands back output that is not JSON as text', async () => {
    const { service } = setUp(() => new TextEncoder().encode('plain words'));
    await expect(
      service.invoke({ plugin_id: 'example.greet', function: 'chat', input: 'hi' }),
    ).resolves.toMatchObject({ output: 'plain words' });
  });

  it("has the sandbox check a tool's input against the tool's own schema, and an agent's against none", async () => {
    const checked: (string | undefined)[] = [];
    const { service } = setUp((_fn, _input, options) => {
      checked.push(options?.inputSchema);
      return json('ok');
    });
    await service.invoke(greet);
    await service.invoke({ plugin_id: 'example.greet', function: 'chat', input: 'hi' });
    expect(checked).toEqual(['greet', undefined]);
  });

  it('answers input the sandbox refused with validation_failed and its details, and reports no crash', async () => {
    const { service, bus } = setUp(refusedInput);
    const refused = await service.invoke({ ...greet, input: {} }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({
      code: 'validation_failed',
      message: 'input does not match the tool input_schema',
      details: [{ code: 'schema.required', message: expect.any(String), path: '/name' }],
    });
    expect(bus.published).toEqual([]);
  });

  it('blames the plugin with plugin_failed when its schema cannot be used, and reports no crash', async () => {
    const message = "the tool's input_schema does not compile: unknown type nope";
    const { service, bus } = setUp(() => new SandboxError('input_schema_invalid', message));
    await expect(service.invoke(greet)).rejects.toMatchObject({ code: 'plugin_failed', message });
    expect(bus.published).toEqual([]);
  });

  it('refuses a function the manifest does not declare before the plugin runs', async () => {
    const { service, calls } = setUp(() => json('never'));
    await expect(service.invoke({ ...greet, function: 'alloc' })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(calls).toEqual([]);
  });

  it('maps a timeout to plugin_timeout and reports a crash with reason "timeout"', async () => {
    const { service, bus } = setUp(
      () => new SandboxError('timeout', 'wall time of 5000 ms exceeded'),
    );
    await expect(service.invoke(greet)).rejects.toMatchObject({ code: 'plugin_timeout' });
    expect(bus.published).toEqual([
      {
        subject: 'plugin.crashed',
        data: {
          plugin_id: 'example.greet',
          version: '1.0.0',
          function: 'greet',
          reason: 'timeout',
          message: 'wall time of 5000 ms exceeded',
          resources: { wall_ms: expect.any(Number) },
        },
      },
    ]);
  });

  it('still answers plugin_timeout when the crash event cannot be published', async () => {
    const { service, bus } = setUp(() => new SandboxError('timeout', 'slow'));
    bus.publish = () => Promise.reject(new DomainError('unavailable', 'bus down'));
    await expect(service.invoke(greet)).rejects.toMatchObject({ code: 'plugin_timeout' });
  });

  it("maps the plugin's own error to plugin_failed with its message and reports no crash", async () => {
    const { service, bus } = setUp(
      () => new SandboxError('plugin_error', 'name must not be empty'),
    );
    await expect(service.invoke(greet)).rejects.toMatchObject({
      code: 'plugin_failed',
      message: 'name must not be empty',
    });
    expect(bus.published).toEqual([]);
  });

  it('answers unavailable, and reports no crash, for a call unloaded before it started twice', async () => {
    const { service, bus, calls } = setUp(
      () => new SandboxError('plugin_closed', 'the plugin was unloaded before the call started'),
    );
    await expect(service.invoke(greet)).rejects.toMatchObject({ code: 'unavailable' });
    expect(calls).toEqual(['greet', 'greet']);
    expect(bus.published).toEqual([]);
  });

  it('answers unavailable, reports no crash and does not run it again, for a call stopped while it ran by an unload', async () => {
    const { service, bus, calls } = setUp(
      () => new SandboxError('plugin_unloaded', 'the plugin version was unloaded'),
    );
    await expect(service.invoke(greet)).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('not run again'),
    });
    expect(calls).toEqual(['greet']);
    expect(bus.published).toEqual([]);
  });

  it('answers unavailable, and reports no crash, when an instance did not start in time', async () => {
    const { service, bus } = setUp(
      () => new SandboxError('start_timeout', 'the plugin worker did not start within 20000 ms'),
    );
    await expect(service.invoke(greet)).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('retry'),
    });
    expect(bus.published).toEqual([]);
  });

  it.each(['trap', 'memory_limit', 'runtime_failure', 'sandbox_crashed'] as const)(
    'maps a %s to plugin_failed and reports a crash',
    async (reason) => {
      const { service, bus } = setUp(() => new SandboxError(reason, 'wasm trap: unreachable'));
      await expect(service.invoke(greet)).rejects.toMatchObject({ code: 'plugin_failed' });
      expect(bus.published.map((p) => [p.subject, p.data.reason])).toEqual([
        ['plugin.crashed', reason],
      ]);
    },
  );

  it('maps a declared function the module does not export to not_found and reports no crash', async () => {
    const { service, bus } = setUp(
      () => new SandboxError('function_not_found', 'greet is not exported'),
    );
    await expect(service.invoke(greet)).rejects.toMatchObject({ code: 'not_found' });
    expect(bus.published).toEqual([]);
  });

  it('keeps long crash messages within the 2000 characters the event allows', async () => {
    const { service, bus } = setUp(() => new SandboxError('trap', 'x'.repeat(5000)));
    await expect(service.invoke(greet)).rejects.toMatchObject({ code: 'plugin_failed' });
    expect(bus.published[0]?.data.message).toHaveLength(2000);
  });

  it('maps an unreadable module to unavailable and anything unexpected to internal', async () => {
    const unreadable = setUp(() => new ArtifactError('artifact_not_found', 'gone'));
    await expect(unreadable.service.invoke(greet)).rejects.toMatchObject({ code: 'unavailable' });
    const odd = setUp(() => new TypeError('boom'));
    await expect(odd.service.invoke(greet)).rejects.toMatchObject({ code: 'internal' });
    expect([...unreadable.bus.published, ...odd.bus.published]).toEqual([]);
  });

  it('passes on the not_found of an unknown plugin', async () => {
    const { service } = setUp(() => json('never'));
    await expect(service.invoke({ ...greet, plugin_id: 'other.plugin' })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});

describe('a plugin that keeps crashing', () => {
  it('is unloaded and paused, and the pause is recorded', async () => {
    const bus = new RecordingBus();
    const { host, calls } = hostWith(() => new SandboxError('trap', 'unreachable'));
    const service = serviceOn(host, bus, 2, 60_000);
    await expect(service.invoke(greet)).rejects.toMatchObject({ code: 'plugin_failed' });
    await expect(service.invoke(greet)).rejects.toMatchObject({ code: 'plugin_failed' });
    await expect(service.invoke(greet)).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('paused'),
    });
    expect(calls).toHaveLength(2);
    expect(bus.published.map((e) => e.subject)).toEqual([
      'plugin.crashed',
      'plugin.crashed',
      'plugin.unloaded',
    ]);
    expect(bus.published[2].data).toMatchObject({ plugin_id: 'example.greet', reason: 'crashed' });
  });

  it('is paused though a successful call comes between its crashes', async () => {
    const bus = new RecordingBus();
    // Four inputs trap, the fifth answers; the breaker opens at 5 crashes.
    const { host } = hostWith((_fn, input) =>
      input.includes('ok') ? json('fine') : new SandboxError('trap', 'unreachable'),
    );
    const service = serviceOn(host, bus, 5, 60_000);
    const outcomes: string[] = [];
    for (let round = 0; round < 20; round++)
      for (const name of ['a', 'b', 'c', 'd', 'ok'])
        outcomes.push(
          await service.invoke({ ...greet, input: { name } }).then(
            () => 'ok',
            (error: DomainError) => error.code,
          ),
        );
    const crashed = bus.published.filter((e) => e.subject === 'plugin.crashed');
    expect(crashed).toHaveLength(5);
    expect(bus.published.filter((e) => e.subject === 'plugin.unloaded')).toHaveLength(1);
    expect(outcomes.slice(0, 6)).toEqual([
      ...Array(4).fill('plugin_failed'),
      'ok',
      'plugin_failed',
    ]);
    expect(outcomes.slice(6).every((code) => code === 'unavailable')).toBe(true);
  });

  it('is paused once, for the first pause, by one batch of crashing calls', async () => {
    const bus = new RecordingBus();
    const { host } = hostWith(() => new SandboxError('trap', 'unreachable'));
    const service = serviceOn(host, bus, 5, 1000);
    const { results } = await service.invokeBatch({
      plugin_id: 'example.greet',
      calls: Array.from({ length: 100 }, () => ({ function: 'greet', input: { name: 'Ada' } })),
    });
    const outcomes = results as ({ error: { code: string } } | { output: unknown })[];
    const codes = outcomes.map((r) => ('error' in r ? r.error.code : 'ok'));
    expect(codes.filter((code) => code === 'plugin_failed')).toHaveLength(100);
    const unloaded = bus.published.filter((e) => e.subject === 'plugin.unloaded');
    expect(unloaded).toHaveLength(1);
  });
});

describe('a plugin paused by its circuit breaker while calls wait for it', () => {
  it('refuses the queued calls as paused, without running them or charging them as crashes', async () => {
    const bus = new RecordingBus();
    const loads: string[] = [];
    const unloads: unknown[] = [];
    let queued: ((error: Error) => void) | undefined;
    // The call for "Queued" waits for an instance; the others crash.
    const plugin = {
      call: (_fn: string, input: Uint8Array) =>
        new TextDecoder().decode(input).includes('Queued')
          ? new Promise((_resolve, reject) => (queued = reject))
          : Promise.reject(new SandboxError('trap', 'unreachable')),
    } as unknown as LoadedSandboxPlugin;
    // Like the sandbox: a close refusing the queued calls fails them with plugin_closed; a
    // draining one that cannot finish them ends their sandbox process under them.
    const host = {
      load: () => {
        loads.push('load');
        return Promise.resolve(plugin);
      },
      unload: (_id: string, _version: string, options?: { refuseQueued?: boolean }) => {
        unloads.push(options);
        queued?.(
          options?.refuseQueued
            ? new SandboxError('plugin_closed', 'the plugin was unloaded before the call started')
            : new SandboxError('sandbox_crashed', 'the sandbox process ended (exit code 0)'),
        );
        return Promise.resolve(true);
      },
    } as unknown as PluginHost;
    const service = serviceOn(host, bus, 2, 60_000);

    const waiting = service
      .invoke({ ...greet, input: { name: 'Queued' } })
      .catch((error: unknown) => error);
    const crashing = [service.invoke(greet), service.invoke(greet)];
    for (const call of crashing)
      await expect(call).rejects.toMatchObject({ code: 'plugin_failed' });

    expect(await waiting).toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('paused'),
    });
    expect(unloads).toEqual([{ refuseQueued: true }]);
    expect(loads).toHaveLength(3); // one per call: none loaded it again
    expect(bus.published.map((e) => [e.subject, e.data.reason])).toEqual([
      ['plugin.crashed', 'trap'],
      ['plugin.crashed', 'trap'],
      ['plugin.unloaded', 'crashed'],
    ]);
  });
});

describe('InvocationService.invokeBatch', () => {
  it('answers each call with its output or its coded error, in order', async () => {
    const { service } = setUp((fn, input) => {
      if (fn === 'chat') return new SandboxError('plugin_error', 'no');
      return input === '{}' ? refusedInput() : json('hi');
    });
    const { results } = await service.invokeBatch({
      plugin_id: 'example.greet',
      calls: [
        { function: 'greet', input: { name: 'Ada' } },
        { function: 'chat', input: null },
        { function: 'greet', input: {} },
      ],
    });
    expect(results).toEqual([
      { output: 'hi', duration_ms: 3 },
      { error: { code: 'plugin_failed', message: 'no', details: [] } },
      { error: expect.objectContaining({ code: 'validation_failed' }) },
    ]);
  });

  it("shares one output's worth among the batch: an output past it is reply_too_large, not a crash", async () => {
    // 400 bytes each: two fit the 1000 bytes, the third does not; a small one still does.
    const { service, bus } = setUp((_fn, input) =>
      new TextEncoder().encode(input === '"small"' ? '"s"' : JSON.stringify('x'.repeat(398))),
    );
    const { results } = await service.invokeBatch({
      plugin_id: 'example.greet',
      calls: [
        { function: 'chat', input: 'a' },
        { function: 'chat', input: 'b' },
        { function: 'chat', input: 'c' },
        { function: 'chat', input: 'small' },
      ],
    });
    const outcomes = results as ({ error: { code: string } } | { output: unknown })[];
    expect(outcomes.map((r) => ('error' in r ? r.error.code : typeof r.output))).toEqual([
      'string',
      'string',
      'reply_too_large',
      'string',
    ]);
    expect(results[2]).toMatchObject({
      error: { message: expect.stringContaining('EXECUTOR_MAX_OUTPUT_BYTES') },
    });
    expect(bus.published.filter((e) => e.subject === 'plugin.crashed')).toEqual([]);
  });
});
