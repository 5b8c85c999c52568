// A module at the sandbox's code limits loads and runs, end to end on a real platform (NATS,
// PostgreSQL, every service its own process), next to a bystander plugin called continuously.
// The modules over those limits, which once aborted the sandbox process at every load or made V8
// need 1.3 GB to compile one function, are refused at verification in the chaos suite
// (support/chaos-modules.ts REJECTED), among the other attacks.
import { expectEventually, startPlatform, type PlatformInfo } from '@convergio/testing';
import { callBystander, deployBystander, rssKb, type BystanderCall } from './support/bystander.js';
import {
  api,
  bearer,
  createKey,
  runToolManifest,
  submit,
  versionState,
} from './support/fixtures.js';
import { FILL, MiB, repeated } from './support/module-bytes.js';

interface AuditEvent {
  type: string;
}

describe('a module at the code limits', () => {
  let platform: Awaited<ReturnType<typeof startPlatform>>;
  let info: PlatformInfo;
  let executorPid: number;
  let publisher: string;
  let invoker: string;
  let auditor: string;
  let bystander: string;
  let stopped = false;
  const calls: BystanderCall[] = [];
  const health: number[] = [];
  const rss: number[] = [];
  let monitors: Promise<unknown>[] = [];
  const slow = { timeoutMs: 60_000, intervalMs: 250 };

  beforeAll(async () => {
    platform = await startPlatform({
      EXECUTOR_FUEL: String(Number.MAX_SAFE_INTEGER),
      NO_COLOR: '1',
    });
    info = platform.info;
    process.env.CONVERGIO_E2E_PLATFORM = JSON.stringify(info);
    executorPid = platform.pid('executor');
    [publisher, invoker, auditor] = await Promise.all([
      createKey('publisher'),
      createKey('invoker'),
      createKey('auditor'),
    ]);
    bystander = await deployBystander(publisher);
    const running = () => !stopped;
    monitors = [
      callBystander(bystander, invoker, running, calls),
      (async () => {
        while (running()) {
          health.push(
            await fetch(`${info.serviceUrls.executor}/healthz`, {
              signal: AbortSignal.timeout(10_000),
            }).then(
              (r) => r.status,
              () => 0,
            ),
          );
          try {
            rss.push(rssKb(executorPid));
          } catch {
            rss.push(-1);
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      })(),
    ];
  }, 120_000);

  afterAll(async () => {
    stopped = true;
    await Promise.all(monitors);
    await platform?.stop();
  }, 60_000);

  const audit = async (id: string): Promise<AuditEvent[]> =>
    (
      (
        await api()
          .get('/v1/audit')
          .query({ plugin_id: id, limit: 500 })
          .set(bearer(auditor))
          .expect(200)
      ).body as { events: AuditEvent[] }
    ).events;

  async function publish(name: string, module: Buffer): Promise<string> {
    const manifest = runToolManifest(name, module);
    await submit(publisher, manifest, module).expect(202);
    return manifest.id;
  }

  async function loaded(id: string) {
    await expectEventually(
      async () =>
        expect(await versionState(publisher, id)).toMatchObject({
          status: 'approved',
          loaded: true,
        }),
      slow,
    );
  }

  const invoke = (id: string) =>
    api()
      .post(`/v1/plugins/${id}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'run', input: {} });

  it('loads and runs a module at the limits: 9 MiB of memory.fill, 32 MiB once metered', async () => {
    // 9.2 MiB in functions of 70 kB (238 kB metered each): just under both metered limits.
    const id = await publish('fill-at-limits', repeated(FILL, 9.2 * MiB, 70_000));
    await loaded(id);
    const res = await invoke(id);
    expect(res.status).toBe(200);
    const types = (await audit(id)).map((e) => e.type);
    expect(types).not.toContain('plugin.crashed');
  }, 180_000);

  it('kept the executor and the bystander up', () => {
    stopped = true;
    expect(rss).not.toContain(-1);
    expect(calls.length).toBeGreaterThan(10);
    expect(calls.filter((c) => !c.ok)).toEqual([]);
    expect(health.filter((h) => h !== 200)).toEqual([]);
  });
});
