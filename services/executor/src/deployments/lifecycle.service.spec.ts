import type { BusClient } from '@convergio/messaging';
import type { ExecutorSettings } from '../config/executor.config.js';
import type { PluginHost } from '../invocations/plugin-host.js';
import type { DeploymentsService } from './deployments.service.js';
import { LifecycleService } from './lifecycle.service.js';

describe('LifecycleService idle eviction', () => {
  it('unloads versions idle for EXECUTOR_IDLE_UNLOAD_MS and records each as plugin.unloaded (idle)', async () => {
    const unloaded: string[] = [];
    const published: { subject: string; data: Record<string, unknown> }[] = [];
    const host = {
      idleVersions: (ms: number) =>
        Promise.resolve(
          ms === 60_000
            ? [
                ['a.one', '1.0.0'],
                ['b.two', '2.0.0'],
              ]
            : [],
        ),
      unload: (id: string, v: string) => {
        unloaded.push(`${id}@${v}`);
        return Promise.resolve(id !== 'b.two'); // b.two was unloaded meanwhile by a revocation
      },
    } as unknown as PluginHost;
    const bus = {
      publish: (subject: string, data: Record<string, unknown>) => {
        published.push({ subject, data });
        return Promise.resolve('id');
      },
    } as unknown as BusClient;
    const service = new LifecycleService({} as DeploymentsService, host, bus, {
      idleUnloadMs: 60_000,
    } as ExecutorSettings);

    await service.evictIdle();

    expect(unloaded).toEqual(['a.one@1.0.0', 'b.two@2.0.0']);
    expect(published).toEqual([
      {
        subject: 'plugin.unloaded',
        data: expect.objectContaining({ plugin_id: 'a.one', version: '1.0.0', reason: 'idle' }),
      },
    ]);
  });
});
