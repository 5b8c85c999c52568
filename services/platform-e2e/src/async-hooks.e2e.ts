import { readFile, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectEventually, SERVICES, startPlatform } from '@convergio/testing';
import { api, bearer, createKey, greetManifest, submit } from './support/fixtures.js';

/**
 * Loaded into every service process (`node --import`): on SIGUSR2 it writes whether promises get
 * async ids there, as they do once any async hook is on (AsyncLocalStorage's included): after an
 * `await`, the id of the code that runs is then the promise's own, else 0. It enables nothing.
 */
const PROBE = (dir: string) => `
import { executionAsyncId } from 'node:async_hooks';
import { writeFileSync } from 'node:fs';
process.on('SIGUSR2', () =>
  setImmediate(async () => {
    await null;
    writeFileSync(${JSON.stringify(dir)} + '/' + process.pid, String(executionAsyncId() !== 0));
  }),
);
`;

/**
 * On Node 20 an async hook, once on, costs every promise of its process a call into JavaScript:
 * about a third of the invoke path's CPU (ADR 0031). No service may turn one on, through its own
 * code or a library, on the way to a plugin call or anywhere else a walkthrough goes.
 */
describe('no service process runs with an async hook', () => {
  let dir: string;
  let started: Awaited<ReturnType<typeof startPlatform>> | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cvg-hooks-'));
    await writeFile(join(dir, 'probe.mjs'), PROBE(dir));
    const probe = ['--import', join(dir, 'probe.mjs')];
    started = await startPlatform(
      {},
      {},
      undefined,
      undefined,
      Object.fromEntries(SERVICES.map((service) => [service, probe])),
    );
    process.env.CONVERGIO_E2E_PLATFORM = JSON.stringify(started.info);
  }, 120_000);

  afterAll(async () => {
    await started?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('after a plugin was submitted, approved, loaded and called', async () => {
    const [publisher, invoker] = await Promise.all([createKey('publisher'), createKey('invoker')]);
    const manifest = greetManifest();
    await submit(publisher, manifest).expect(202);
    const invoke = () =>
      api()
        .post(`/v1/plugins/${manifest.id}/invoke`)
        .set(bearer(invoker))
        .set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
        .send({ function: 'greet', input: { name: 'Ada' } });
    await expectEventually(async () => expect((await invoke()).status).toBe(200), {
      timeoutMs: 30_000,
    });
    expect((await invoke()).body.trace_id).toBe('0af7651916cd43dd8448eb211c80319c');

    const hooked: Record<string, string> = {};
    for (const service of SERVICES) {
      const pid = started!.pid(service);
      process.kill(pid, 'SIGUSR2');
      await expectEventually(async () => {
        hooked[service] = await readFile(join(dir, String(pid)), 'utf8');
      });
    }
    expect(hooked).toEqual(Object.fromEntries(SERVICES.map((service) => [service, 'false'])));
  });
});
