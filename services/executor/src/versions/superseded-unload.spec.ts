import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { DataSource } from 'typeorm';
import type { ArtifactStore } from '@convergio/artifacts';
import { loadConfig } from '@convergio/config';
import type { EventEnvelope } from '@convergio/contracts';
import { loadPlatformGrants } from '@convergio/runtime';
import { aManifest, exampleModule, expectEventually, sha256Hex } from '@convergio/testing';
import { ExecutorLimitsEnv, executorSettings } from '../config/executor.config.js';
import { PluginHost } from '../invocations/plugin-host.js';
import { PluginEvents } from '../lifecycle/plugin-events.js';
import { CallMetrics } from '../metrics/call-metrics.js';
import { TelemetryMetrics } from '../metrics/telemetry-metrics.js';
import { RecordingBus } from '../recording-bus.spec-helper.js';
import { sandboxProcesses } from '../sandbox-processes.spec-helper.js';
import { SecretAccess } from '../secrets/secret-access.js';
import { LifecycleService } from './lifecycle.service.js';
import { PolicyGate } from './policy-gate.js';
import { RunnableVersions } from './runnable-versions.js';
import type { VersionTable } from './version-table.js';
import { messageContext } from '@convergio/messaging';

describe('LifecycleService with real sandbox processes: a superseded version', () => {
  const module = exampleModule('greet.wasm');
  const sha = sha256Hex(module);
  const artifacts = {
    get: () => Promise.resolve(new Uint8Array(module)),
  } as unknown as ArtifactStore;
  const bus = new RecordingBus();
  const dir = mkdtempSync(join(tmpdir(), 'cvg-superseded-'));
  const settings = executorSettings(
    // Longer than the load of the next version takes on a loaded box (over 1 s in CI), so the
    // superseded one is still there when that load ends.
    loadConfig(Type.Object(ExecutorLimitsEnv), { EXECUTOR_NON_SERVING_IDLE_UNLOAD_MS: '5000' }),
    loadPlatformGrants({ pluginFilesDir: join(dir, 'plugin-files'), dataDirs: [dir] }),
  );
  const gate = new PolicyGate(settings);
  const events = new PluginEvents(bus.asBusClient());
  const host = new PluginHost(
    artifacts,
    settings,
    bus.asOutbox(),
    new CallMetrics(),
    gate,
    events,
    new SecretAccess(bus.asBusClient()),
    new TelemetryMetrics(settings),
  );
  const versions = new RunnableVersions({} as DataSource, bus.asBusClient());
  // The table answers the record the watch already made of the event.
  const table = {
    apply: (e: EventEnvelope<'plugin.approved'>) =>
      Promise.resolve(versions.runnable(e.data.plugin_id, e.data.version)),
    recordPolicyVerdict: () => Promise.resolve(false),
  } as unknown as VersionTable;
  const lifecycle = new LifecycleService(
    table,
    host,
    bus.asBusClient(),
    settings,
    gate,
    events,
    versions,
    new SecretAccess(bus.asBusClient()),
  );

  /** Approves a version, as the watch and this replica's consumer both see it. */
  async function approve(plugin_id: string, version: string): Promise<void> {
    const e: EventEnvelope<'plugin.approved'> = {
      id: randomUUID(),
      type: 'plugin.approved',
      version: 1,
      occurred_at: new Date().toISOString(),
      source: 'approval',
      correlation_id: 'c1',
      data: {
        plugin_id,
        version,
        manifest: aManifest({ id: plugin_id, version }, module),
        module_sha256: sha,
        trust: 'untrusted',
        approved_by: 'auto',
      },
    };
    versions.apply(e);
    await lifecycle.onApproved(e, messageContext(undefined));
    await expectEventually(
      () =>
        expect(bus.published).toContainEqual({
          subject: 'plugin.loaded',
          data: expect.objectContaining({ plugin_id, version }),
        }),
      { timeoutMs: 40_000 },
    );
  }

  const greet = async (plugin_id: string, version?: string) => {
    const plugin = await host.load(versions.runnable(plugin_id, version));
    const { output } = await plugin.call('greet', new TextEncoder().encode('{"name":"Ada"}'));
    return JSON.parse(new TextDecoder().decode(output)) as unknown;
  };

  afterAll(async () => {
    await lifecycle.beforeApplicationShutdown();
    await host.onApplicationShutdown();
  });

  it('is unloaded once idle for EXECUTOR_NON_SERVING_IDLE_UNLOAD_MS, its process gone and plugin.unloaded (superseded) recorded, while a bystander is served; it still runs when named', async () => {
    lifecycle.onModuleInit();
    await approve('bob.two', '1.0.0');
    await approve('acme.one', '1.0.0');
    expect(await greet('acme.one')).toEqual({ greeting: 'Hello, Ada!' });
    expect(sandboxProcesses()).toHaveLength(2);

    await approve('acme.one', '1.1.0');
    expect(sandboxProcesses()).toHaveLength(3);

    // The bystander keeps being called meanwhile, so it is never idle for long.
    await expectEventually(
      async () => {
        expect(await greet('bob.two')).toEqual({ greeting: 'Hello, Ada!' });
        expect(host.loadedVersions()).toEqual(expect.not.arrayContaining([['acme.one', '1.0.0']]));
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    await expectEventually(() => expect(sandboxProcesses()).toHaveLength(2));
    await expectEventually(() =>
      expect(bus.published).toContainEqual({
        subject: 'plugin.unloaded',
        data: expect.objectContaining({
          plugin_id: 'acme.one',
          version: '1.0.0',
          reason: 'superseded',
        }),
      }),
    );
    expect(
      bus.published.filter((e) => e.subject === 'plugin.unloaded').map((e) => e.data.plugin_id),
    ).toEqual(['acme.one']);
    expect(host.loadedVersions()).toEqual(
      expect.arrayContaining([
        ['bob.two', '1.0.0'],
        ['acme.one', '1.1.0'],
      ]),
    );

    // Pinning an approved older version stays supported: a call naming it loads it again.
    expect(await greet('acme.one', '1.0.0')).toEqual({ greeting: 'Hello, Ada!' });
  });
});
