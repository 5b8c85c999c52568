import { RecordingBus } from '../recording-bus.spec-helper.js';
import type { ExecutorSettings } from '../config/executor.config.js';
import type { PluginHost } from '../invocations/plugin-host.js';
import type { DeploymentsService } from './deployments.service.js';
import type { PolicyGate } from './policy-gate.js';
import type { RunnableVersions } from './runnable-versions.js';
import { LifecycleService } from './lifecycle.service.js';
import { PluginEvents } from '../lifecycle/plugin-events.js';

/** A lifecycle over a fake host holding `loaded`, where `goneMeanwhile` was unloaded by something else. */
function lifecycle(options: {
  idle?: [string, string][];
  loaded?: [string, string][];
  approved?: [string, string][];
  goneMeanwhile?: string;
}) {
  const unloaded: string[] = [];
  const bus = new RecordingBus();
  const host = {
    idleVersions: (ms: number) => Promise.resolve(ms === 60_000 ? (options.idle ?? []) : []),
    loadedVersions: () => options.loaded ?? [],
    unload: (id: string, v: string) => {
      unloaded.push(`${id}@${v}`);
      return Promise.resolve(id !== options.goneMeanwhile);
    },
  } as unknown as PluginHost;
  const versions = {
    approved: () => (options.approved ?? []).map(([pluginId, version]) => ({ pluginId, version })),
    onRevoked: () => undefined,
  } as unknown as RunnableVersions;
  const service = new LifecycleService(
    {} as DeploymentsService,
    host,
    bus.asBusClient(),
    {
      idleUnloadMs: 60_000,
    } as ExecutorSettings,
    { violations: () => [] } as unknown as PolicyGate,
    new PluginEvents(bus.asBusClient()),
    versions,
  );
  return { service, unloaded, published: bus.published };
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
