import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import wabtInit from 'wabt';
import type { ArtifactStore } from '@convergio/artifacts';
import { loadConfig } from '@convergio/config';
import { validateEventEnvelope } from '@convergio/contracts';
import { loadPlatformGrants } from '@convergio/runtime';
import { RecordingBus } from '../recording-bus.spec-helper.js';
import { aManifest, exampleModule, expectEventually, sha256Hex } from '@convergio/testing';
import { ExecutorLimitsEnv, executorSettings } from '../config/executor.config.js';
import { PolicyGate } from '../versions/policy-gate.js';
import { CallMetrics } from '../metrics/call-metrics.js';
import type { RunnableRecord } from '../versions/version-record.js';
import { deniedEvent } from './denial-recorder.js';
import { PluginHost } from './plugin-host.js';
import { SecretAccess } from '../secrets/secret-access.js';
import { TelemetryMetrics } from '../metrics/telemetry-metrics.js';
import { PluginEvents } from '../lifecycle/plugin-events.js';

describe('PluginHost', () => {
  const module = exampleModule('greet.wasm');
  const sha = sha256Hex(module);
  // Modules by SHA-256; greet.wasm unless stored here.
  const stored = new Map<string, Uint8Array>();
  const artifacts = {
    get: (sha256: string) => Promise.resolve(new Uint8Array(stored.get(sha256) ?? module)),
  } as unknown as ArtifactStore;
  const bus = new RecordingBus();
  const published = bus.published;
  const version = (id: string, publisher = 'acme'): RunnableRecord => ({
    pluginId: id,
    version: '1.0.0',
    publisher,
    status: 'approved',
    approvedAt: new Date(),
    trust: 'untrusted',
    moduleSha256: sha,
    manifest: aManifest({ id }, module),
  });
  let host: PluginHost;

  beforeEach(() => {
    published.splice(0);
    const env = loadConfig(Type.Object(ExecutorLimitsEnv), {
      EXECUTOR_MAX_LOADED_PLUGINS: '4',
      EXECUTOR_MAX_LOADED_PER_PUBLISHER: '2',
    });
    const dir = mkdtempSync(join(tmpdir(), 'cvg-plugin-host-'));
    const settings = executorSettings(
      env,
      loadPlatformGrants({ pluginFilesDir: join(dir, 'plugin-files'), dataDirs: [dir] }),
    );
    host = new PluginHost(
      artifacts,
      settings,
      bus.asOutbox(),
      new CallMetrics(),
      new PolicyGate(settings),
      new PluginEvents(bus.asBusClient()),
      new SecretAccess(bus.asBusClient()),
      new TelemetryMetrics(settings),
    );
  });

  afterEach(() => host.onApplicationShutdown());

  it('announces every load as plugin.loaded', async () => {
    await host.load(version('acme.one'));
    expect(published).toEqual([
      {
        subject: 'plugin.loaded',
        data: expect.objectContaining({ plugin_id: 'acme.one', module_sha256: sha }),
      },
    ]);
  });

  const unloaded = () =>
    published
      .filter((e) => e.subject === 'plugin.unloaded')
      .map((e) => (e.data as { plugin_id: string; reason: string }).plugin_id);

  it('keeps at most EXECUTOR_MAX_LOADED_PLUGINS versions, unloading the least recently used', async () => {
    await host.load(version('acme.one'));
    await host.load(version('bob.two', 'bob'));
    await host.load(version('carol.four', 'carol'));
    await host.load(version('dave.five', 'dave'));
    await host.load(version('acme.one')); // bob.two is now the least recently used
    const third = await host.load(version('acme.three'));

    expect(host.loadedVersions()).toEqual([
      ['carol.four', '1.0.0'],
      ['dave.five', '1.0.0'],
      ['acme.one', '1.0.0'],
      ['acme.three', '1.0.0'],
    ]);
    await expectEventually(() =>
      expect(published.filter((e) => e.subject === 'plugin.unloaded')).toEqual([
        {
          subject: 'plugin.unloaded',
          data: expect.objectContaining({ plugin_id: 'bob.two', reason: 'capacity' }),
        },
      ]),
    );
    const greeting = await third.call('greet', new TextEncoder().encode('{"name":"Ada"}'));
    expect(JSON.parse(new TextDecoder().decode(greeting.output))).toEqual({
      greeting: 'Hello, Ada!',
    });
  });

  it('ends a load whose start function never returns with cpu_limit, in bounded time, while other versions serve', async () => {
    const wabt = await wabtInit();
    const parsed = wabt.parseWat(
      'spin.wat',
      '(module (memory (export "memory") 1) (func $spin (loop $l (br $l))) (start $spin) (func (export "greet")))',
    );
    const spinning = new Uint8Array(parsed.toBinary({}).buffer);
    parsed.destroy();
    const spinningSha = sha256Hex(spinning);
    stored.set(spinningSha, spinning);
    const bystander = await host.load(version('bob.one', 'bob'));

    const started = performance.now();
    const load = host.load({ ...version('mallory.spin', 'mallory'), moduleSha256: spinningSha });
    const served = await bystander.call('greet', new TextEncoder().encode('{"name":"Ada"}'));
    await expect(load).rejects.toMatchObject({ name: 'SandboxError', code: 'cpu_limit' });

    // The start function runs under the call's fuel (EXECUTOR_FUEL) and, past it, wall time
    // (EXECUTOR_TIMEOUT_MS, 5 s), with the sandbox process's own start on a loaded machine.
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(JSON.parse(new TextDecoder().decode(served.output))).toEqual({
      greeting: 'Hello, Ada!',
    });
    expect(host.loadedVersions()).toEqual([['bob.one', '1.0.0']]);
  });

  it('makes a publisher at EXECUTOR_MAX_LOADED_PER_PUBLISHER give up its own versions, never another', async () => {
    await host.load(version('bob.one', 'bob'));
    // Mallory loads versions in rotation; once the slots are full, each load of hers past her
    // share unloads her own least recently used version.
    for (const id of ['mallory.a', 'mallory.b', 'mallory.c', 'mallory.d', 'mallory.a'])
      await host.load(version(id, 'mallory'));

    expect(host.loadedVersions()).toEqual([
      ['bob.one', '1.0.0'],
      ['mallory.c', '1.0.0'],
      ['mallory.d', '1.0.0'],
      ['mallory.a', '1.0.0'],
    ]);
    await expectEventually(() => expect(unloaded()).toEqual(['mallory.a', 'mallory.b']));
  });

  it('lets a publisher use free slots past its share, and takes those back first', async () => {
    await host.load(version('bob.one', 'bob'));
    for (const id of ['mallory.a', 'mallory.b', 'mallory.c'])
      await host.load(version(id, 'mallory'));
    // Full, and mallory holds 3 of 4: her least recently used makes room, not bob's older one.
    await host.load(version('carol.one', 'carol'));

    expect(host.loadedVersions()).toEqual([
      ['bob.one', '1.0.0'],
      ['mallory.b', '1.0.0'],
      ['mallory.c', '1.0.0'],
      ['carol.one', '1.0.0'],
    ]);
  });
});

describe('deniedEvent', () => {
  const plugin = { id: 'acme.one', version: '1.0.0', trust: 'untrusted' as const };

  it('makes a permission.denied that passes its schema whatever the plugin asked for', () => {
    for (const target of [
      '/etc/\ud800',
      '/etc/\u0000x',
      `/${'😀'.repeat(1500)}`,
      'x'.repeat(5000),
    ]) {
      const data = deniedEvent(plugin, { capability: 'fs.read', target, reason: 'denied' });
      expect(() =>
        validateEventEnvelope('permission.denied', {
          id: randomUUID(),
          type: 'permission.denied',
          version: 1,
          occurred_at: new Date().toISOString(),
          source: 'executor',
          correlation_id: 'c',
          data,
        }),
      ).not.toThrow();
      expect(target.startsWith(data.target)).toBe(true);
    }
  });

  it('clips long text without splitting a surrogate pair', () => {
    const target = `${'a'.repeat(1999)}😀tail`;
    expect(deniedEvent(plugin, { capability: 'fs.read', target, reason: '' }).target).toBe(
      'a'.repeat(1999),
    );
  });
});
