import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { ArtifactStore } from '@convergio/artifacts';
import { loadConfig } from '@convergio/config';
import { DomainError, type Manifest } from '@convergio/contracts';
import { loadPlatformGrants } from '@convergio/runtime';
import { aManifest, exampleModule, exponentialInputSchema, sha256Hex } from '@convergio/testing';
import { ExecutorLimitsEnv, executorSettings } from '../config/executor.config.js';
import type { RunnableVersions } from '../versions/runnable-versions.js';
import { PolicyGate } from '../versions/policy-gate.js';
import { SecretAccess } from '../secrets/secret-access.js';
import { TelemetryMetrics } from '../metrics/telemetry-metrics.js';
import { PluginEvents } from '../lifecycle/plugin-events.js';
import { CallMetrics } from '../metrics/call-metrics.js';
import { RecordingBus } from '../recording-bus.spec-helper.js';
import { InvocationService } from './invocation.service.js';
import { PluginHost } from './plugin-host.js';

const module = exampleModule('greet.wasm');
const greetTool = (input_schema: Record<string, unknown>) => ({
  capabilities: {
    tools: [{ name: 'greet', function: 'greet', description: 'Says hello', input_schema }],
  },
});

/** An object schema nesting `wraps` objects in `properties`: 2 × `wraps` + 1 levels. */
const nestedSchema = (wraps: number): Record<string, unknown> =>
  wraps === 0 ? { type: 'object' } : { type: 'object', properties: { a: nestedSchema(wraps - 1) } };

/** Approved versions by plugin id, each the greet module under its own manifest. */
const manifests: Record<string, Manifest> = {
  'acme.bystander': aManifest({ id: 'acme.bystander' }, module),
  'acme.exponential': aManifest(
    // 32 links: minutes of Ajv on any machine, against a wall time of 2 s.
    { id: 'acme.exponential', ...greetTool(exponentialInputSchema(32)) },
    module,
  ),
  'acme.unknown-type': aManifest(
    { id: 'acme.unknown-type', ...greetTool({ type: 'nope' }) },
    module,
  ),
  // 11 levels: within the default bounds it was approved under, beyond this executor's 8.
  'acme.deep-schema': aManifest({ id: 'acme.deep-schema', ...greetTool(nestedSchema(5)) }, module),
};

/**
 * Tool input is checked against the plugin's schema inside the plugin's own sandbox, under its
 * call's wall time, with real sandbox processes: a schema written to stall its check stalls
 * only its own call.
 */
describe('tool input checked in the plugin sandbox', () => {
  const bus = new RecordingBus();
  let host: PluginHost;
  let service: InvocationService;

  beforeAll(() => {
    const env = loadConfig(Type.Object(ExecutorLimitsEnv), {
      EXECUTOR_TIMEOUT_MS: '2000',
      INPUT_SCHEMA_MAX_DEPTH: '8',
    });
    const dir = mkdtempSync(join(tmpdir(), 'cvg-tool-input-'));
    const settings = executorSettings(
      env,
      loadPlatformGrants({ pluginFilesDir: join(dir, 'plugin-files'), dataDirs: [dir] }),
    );
    const artifacts = {
      get: () => Promise.resolve(new Uint8Array(module)),
    } as unknown as ArtifactStore;
    const versions = {
      runnable: (pluginId: string) => {
        if (!manifests[pluginId])
          throw new DomainError('not_found', `plugin ${pluginId} is unknown`);
        return {
          pluginId,
          version: '1.0.0',
          trust: 'untrusted',
          status: 'approved',
          manifest: manifests[pluginId],
          moduleSha256: sha256Hex(module),
        };
      },
    } as unknown as RunnableVersions;
    const gate = new PolicyGate(settings);
    const events = new PluginEvents(bus.asBusClient());
    const secrets = new SecretAccess(bus.asBusClient());
    host = new PluginHost(
      artifacts,
      settings,
      bus.asOutbox(),
      new CallMetrics(),
      gate,
      events,
      secrets,
      new TelemetryMetrics(settings),
    );
    service = new InvocationService(
      versions,
      host,
      bus.asBusClient(),
      new CallMetrics(),
      settings,
      gate,
      events,
      secrets,
    );
  });

  afterAll(() => host.onApplicationShutdown());

  const greet = (plugin_id: string, input: unknown) =>
    service.invoke({ plugin_id, function: 'greet', input });
  const crashes = () =>
    bus.published.filter((e) => e.subject === 'plugin.crashed').map((e) => e.data);

  it('stops a check whose work doubles with each anyOf link at the wall time, charged to its plugin, while a bystander is served', async () => {
    const attack = greet('acme.exponential', { name: 'Ada' });
    await expect(greet('acme.bystander', { name: 'Ada' })).resolves.toMatchObject({
      output: { greeting: 'Hello, Ada!' },
    });
    await expect(attack).rejects.toMatchObject({ code: 'plugin_timeout' });
    expect(crashes()).toEqual([
      expect.objectContaining({
        plugin_id: 'acme.exponential',
        function: 'greet',
        reason: 'timeout',
      }),
    ]);
    await expect(greet('acme.bystander', { name: 'Bo' })).resolves.toMatchObject({
      output: { greeting: 'Hello, Bo!' },
    });
  });

  it('refuses input that breaks the schema with validation_failed and every problem, not as a crash', async () => {
    bus.published.splice(0);
    const refused = await greet('acme.bystander', { nom: 'Ada' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({
      code: 'validation_failed',
      message: 'input does not match the tool input_schema',
      details: [
        expect.objectContaining({ code: 'schema.required', path: '/name' }),
        expect.objectContaining({ code: 'schema.additionalProperties', path: '/nom' }),
      ],
    });
    expect(crashes()).toEqual([]);
  });

  it('blames the plugin with plugin_failed when its schema does not compile, not as a crash', async () => {
    bus.published.splice(0);
    await expect(greet('acme.unknown-type', { name: 'Ada' })).rejects.toMatchObject({
      code: 'plugin_failed',
      message: expect.stringMatching(/^the tool's input_schema does not compile: /),
    });
    expect(crashes()).toEqual([]);
  });

  it('holds approved schemas to its own INPUT_SCHEMA_MAX_DEPTH, blaming the tool and naming the setting', async () => {
    bus.published.splice(0);
    await expect(greet('acme.deep-schema', { name: 'Ada' })).rejects.toMatchObject({
      code: 'plugin_failed',
      message:
        "the tool's input_schema nests objects and arrays deeper than 8 levels, the limit set by INPUT_SCHEMA_MAX_DEPTH",
    });
    expect(crashes()).toEqual([]);
    await expect(greet('acme.bystander', { name: 'Cy' })).resolves.toMatchObject({
      output: { greeting: 'Hello, Cy!' },
    });
  });
});
