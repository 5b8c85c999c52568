import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
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
  const artifacts = {
    get: () => Promise.resolve(new Uint8Array(module)),
  } as unknown as ArtifactStore;
  const bus = new RecordingBus();
  const published = bus.published;
  const version = (id: string): RunnableRecord => ({
    pluginId: id,
    version: '1.0.0',
    status: 'approved',
    approvedAt: new Date(),
    trust: 'untrusted',
    moduleSha256: sha,
    manifest: aManifest({ id }, module),
  });
  let host: PluginHost;

  beforeEach(() => {
    published.splice(0);
    const env = loadConfig(Type.Object(ExecutorLimitsEnv), { EXECUTOR_MAX_LOADED_PLUGINS: '2' });
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
      new TelemetryMetrics(),
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

  it('keeps at most EXECUTOR_MAX_LOADED_PLUGINS versions, unloading the least recently used', async () => {
    await host.load(version('acme.one'));
    await host.load(version('acme.two'));
    await host.load(version('acme.one')); // acme.two is now the least recently used
    const third = await host.load(version('acme.three'));

    expect(host.loadedVersions()).toEqual([
      ['acme.one', '1.0.0'],
      ['acme.three', '1.0.0'],
    ]);
    await expectEventually(() =>
      expect(published.filter((e) => e.subject === 'plugin.unloaded')).toEqual([
        {
          subject: 'plugin.unloaded',
          data: expect.objectContaining({ plugin_id: 'acme.two', reason: 'capacity' }),
        },
      ]),
    );
    const greeting = await third.call('greet', new TextEncoder().encode('{"name":"Ada"}'));
    expect(JSON.parse(new TextDecoder().decode(greeting.output))).toEqual({
      greeting: 'Hello, Ada!',
    });
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
