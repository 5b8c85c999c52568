import { randomUUID } from 'node:crypto';
import { ArtifactError } from '@convergio/artifacts';
import { validateEventEnvelope, type EventEnvelope } from '@convergio/contracts';
import { SandboxError } from '@convergio/sandbox';
import { aManifest, expectEventually } from '@convergio/testing';
import { capacityRefusal } from '../invocations/load-failures.js';
import { RecordingBus } from '../recording-bus.spec-helper.js';
import type { ExecutorSettings } from '../config/executor.config.js';
import type { PluginHost } from '../invocations/plugin-host.js';
import type { PolicyGate } from './policy-gate.js';
import type { RunnableVersions } from './runnable-versions.js';
import { applyChange, changeOf } from './version-record.js';
import type { VersionTable } from './version-table.js';
import { SecretAccess } from '../secrets/secret-access.js';
import { LifecycleService } from './lifecycle.service.js';
import { PluginEvents } from '../lifecycle/plugin-events.js';
import { messageContext } from '@convergio/messaging';

/** A lifecycle over a fake host holding `loaded`, where `goneMeanwhile` was unloaded by something else. */
function lifecycle(options: {
  idle?: [string, string][];
  /** Idle for 5 s (EXECUTOR_NON_SERVING_IDLE_UNLOAD_MS), not for 60 s. */
  idleNotServing?: [string, string][];
  /** Approved versions that calls naming no version do not run. */
  notServing?: string[];
  loaded?: [string, string][];
  approved?: [string, string][];
  goneMeanwhile?: string;
  loadFails?: Error;
  /** Errors the first loads fail with, one each; the loads after them succeed. */
  firstLoadsFail?: Error[];
}) {
  const unloaded: string[] = [];
  let loads = 0;
  const bus = new RecordingBus();
  const host = {
    idleVersions: (ms: number) =>
      Promise.resolve(
        ms === 60_000 ? (options.idle ?? []) : ms === 5000 ? (options.idleNotServing ?? []) : [],
      ),
    loadedVersions: () => options.loaded ?? [],
    load: () => {
      const failure = options.firstLoadsFail?.[loads++];
      if (options.firstLoadsFail) return failure ? Promise.reject(failure) : Promise.resolve({});
      return Promise.reject(options.loadFails ?? new Error('no load expected'));
    },
    unload: (id: string, v: string) => {
      unloaded.push(`${id}@${v}`);
      return Promise.resolve(id !== options.goneMeanwhile);
    },
  } as unknown as PluginHost;
  const versions = {
    approved: () =>
      (options.approved ?? [['a.one', '1.0.0']]).map(([pluginId, version]) => ({
        pluginId,
        version,
      })),
    onRevoked: () => undefined,
    runsOnlyWhenNamed: (id: string, v: string) => options.notServing?.includes(`${id}@${v}`),
  } as unknown as RunnableVersions;
  // Every event is new to the table: it answers the record the event makes.
  const table = {
    apply: (e: EventEnvelope<'plugin.approved'>) =>
      Promise.resolve(
        applyChange(
          undefined,
          { pluginId: e.data.plugin_id, version: e.data.version },
          changeOf(e)!,
          e.occurred_at,
        ),
      ),
    recordPolicyVerdict: () => Promise.resolve(false),
  } as unknown as VersionTable;
  const service = new LifecycleService(
    table,
    host,
    bus.asBusClient(),
    {
      idleUnloadMs: 60_000,
      nonServingIdleUnloadMs: 5000,
    } as ExecutorSettings,
    { violations: () => [] } as unknown as PolicyGate,
    new PluginEvents(bus.asBusClient()),
    versions,
    // As if `s3cr3t-Value` had been released to a version of the plugin.
    {
      scrub: (_plugin: string, text: string) => text.replaceAll('s3cr3t-Value', '[REDACTED]'),
    } as unknown as SecretAccess,
  );
  return { service, unloaded, published: bus.published, loads: () => loads };
}

describe('LifecycleService', () => {
  it('unloads versions idle for EXECUTOR_IDLE_UNLOAD_MS and records each as plugin.unloaded (idle)', async () => {
    const { service, unloaded, published } = lifecycle({
      idle: [
        ['a.one', '1.0.0'],
        ['b.two', '2.0.0'],
      ],
      goneMeanwhile: 'b.two', // unloaded meanwhile by a revocation
    });

    await service.evictIdle();

    expect(unloaded).toEqual(['a.one@1.0.0', 'b.two@2.0.0']);
    expect(published).toEqual([
      {
        subject: 'plugin.unloaded',
        data: expect.objectContaining({ plugin_id: 'a.one', version: '1.0.0', reason: 'idle' }),
      },
    ]);
  });

  it('unloads versions that calls naming no version do not run once idle for EXECUTOR_NON_SERVING_IDLE_UNLOAD_MS, as superseded', async () => {
    const { service, unloaded, published } = lifecycle({
      idleNotServing: [
        ['a.one', '1.0.0'],
        ['a.one', '2.0.0'],
        ['b.two', '1.0.0'],
      ],
      notServing: ['a.one@1.0.0'], // b.two@1.0.0 was revoked: dropRevoked says so
    });

    await service.evictIdle();

    expect(unloaded).toEqual(['a.one@1.0.0']);
    expect(published).toEqual([
      {
        subject: 'plugin.unloaded',
        data: expect.objectContaining({
          plugin_id: 'a.one',
          version: '1.0.0',
          reason: 'superseded',
        }),
      },
    ]);
  });

  it('unloads loaded versions no longer approved (revoked through another replica)', async () => {
    const { service, unloaded, published } = lifecycle({
      loaded: [
        ['a.one', '1.0.0'],
        ['b.two', '2.0.0'],
      ],
      approved: [['a.one', '1.0.0']],
    });

    await service.dropRevoked();

    expect(unloaded).toEqual(['b.two@2.0.0']);
    expect(published).toEqual([
      {
        subject: 'plugin.unloaded',
        data: expect.objectContaining({ plugin_id: 'b.two', version: '2.0.0', reason: 'revoked' }),
      },
    ]);
  });
});

describe('LifecycleService: an approved version that does not load', () => {
  const approved = (): EventEnvelope<'plugin.approved'> => ({
    id: randomUUID(),
    type: 'plugin.approved',
    version: 1,
    occurred_at: new Date().toISOString(),
    source: 'approval',
    correlation_id: 'c1',
    data: {
      plugin_id: 'a.one',
      version: '1.0.0',
      manifest: aManifest({ id: 'a.one' }),
      module_sha256: 'a'.repeat(64),
      trust: 'untrusted',
      approved_by: 'auto',
    },
  });

  /** The plugin.crashed the failed load published, checked against the event's schema. */
  async function crashOf(loadFails: Error) {
    const { service, published } = lifecycle({ loadFails });
    await service.onApproved(approved(), messageContext(undefined));
    while (!published.some((e) => e.subject === 'plugin.crashed'))
      await new Promise((resolve) => setImmediate(resolve));
    const { data } = published.find((e) => e.subject === 'plugin.crashed')!;
    const event = { ...approved(), type: 'plugin.crashed', source: 'executor', data };
    return validateEventEnvelope('plugin.crashed', event).data;
  }

  it("records the sandbox's code as the crash reason", async () => {
    expect(
      await crashOf(new SandboxError('module_import_forbidden', 'import "env" "abort"')),
    ).toMatchObject({ function: '(load)', reason: 'module_import_forbidden' });
  });

  it('records a failure before the sandbox as load_failed, its own code in the message', async () => {
    expect(await crashOf(new ArtifactError('artifact_not_found', 'no such module'))).toMatchObject({
      function: '(load)',
      reason: 'load_failed',
      message: expect.stringMatching(/^artifact_not_found: .*no such module/),
    });
  });

  // A start function can read back what an earlier version wrote to the plugin's files, and fail
  // with it (found by a review).
  it("scrubs a value released to the plugin from the load failure's message", async () => {
    expect(
      await crashOf(new SandboxError('plugin_error', 'start failed with s3cr3t-Value')),
    ).toMatchObject({ reason: 'plugin_error', message: expect.stringContaining('[REDACTED]') });
    expect(
      JSON.stringify(await crashOf(new SandboxError('plugin_error', 'start: s3cr3t-Value'))),
    ).not.toContain('s3cr3t-Value');
  });

  it('tries a load that ran out of start time again, with backoff, and records no crash', async () => {
    const busy = new SandboxError('start_timeout', 'the plugin worker did not start within 10 ms');
    const { service, published, loads } = lifecycle({ firstLoadsFail: [busy, busy] });
    await service.onApproved(approved(), messageContext(undefined));

    await expectEventually(() => expect(loads()).toBe(3), { timeoutMs: 10_000 });
    expect(published.filter((e) => e.subject === 'plugin.crashed')).toEqual([]);
  });

  it('leaves a load refused for memory (capacity) to the first call, and records no crash', async () => {
    const full = capacityRefusal('one more sandbox process would pass the ceiling');
    const { service, published, loads } = lifecycle({ firstLoadsFail: [full] });
    await service.onApproved(approved(), messageContext(undefined));

    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(loads()).toBe(1);
    expect(published).toEqual([]);
  });

  it('does not try again a load that failed for the plugin', async () => {
    const fault = new SandboxError('cpu_limit', 'the start function spent its fuel');
    const { service, published, loads } = lifecycle({ firstLoadsFail: [fault] });
    await service.onApproved(approved(), messageContext(undefined));

    await expectEventually(() =>
      expect(published.map((e) => e.subject)).toEqual(['plugin.crashed']),
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(loads()).toBe(1);
  });
});
