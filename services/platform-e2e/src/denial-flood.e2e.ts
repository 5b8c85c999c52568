import pg from 'pg';
import { expectEventually, startPlatform } from '@convergio/testing';
import {
  api,
  bearer,
  createKey,
  runToolManifest,
  submit,
  versionState,
} from './support/fixtures.js';
import { accountedDenials, assemble, denialFlood, FS_READS } from './support/chaos-modules.js';
import { callBystander, deployBystander, rssKb, type BystanderCall } from './support/bystander.js';

const ROUNDS = 5;
/** As in the chaos suite: before, 200,000 denials grew the executor to 1.3 GiB, then 3.6 GiB. */
const EXECUTOR_RSS_MB = 400;
// Before: each denial was a transaction of its own, started at once and never awaited; a plugin
// with no permission refused 10,000 times a call piled them up until the executor ran out of heap
// and exited, and most denials were never recorded.
describe('a plugin that spends every host call on a denial', () => {
  let platform: Awaited<ReturnType<typeof startPlatform>>;
  let db: pg.Client;

  beforeAll(async () => {
    // Unpaced: the subject is the recorder's backlog, which the pacing of each instance's
    // refusals (EXECUTOR_DENIALS_PER_SECOND, chaos suite) keeps away with the defaults.
    platform = await startPlatform({ EXECUTOR_DENIALS_PER_SECOND: '1000000' });
    process.env.CONVERGIO_E2E_PLATFORM = JSON.stringify(platform.info);
    db = new pg.Client({ connectionString: platform.info.databaseUrl });
    await db.connect();
  }, 120_000);
  afterAll(async () => {
    await db?.end();
    await platform?.stop();
  }, 60_000);

  it('keeps the executor small and serving, and records every denial, folded past a backlog', async () => {
    const [publisher, invoker] = await Promise.all([createKey('publisher'), createKey('invoker')]);
    const bystander = await deployBystander(publisher);
    const module = await assemble(denialFlood(FS_READS));
    const flood = runToolManifest('denial-flood', module);
    await submit(publisher, flood, module).expect(202);
    await expectEventually(
      async () =>
        expect(await versionState(publisher, flood.id)).toMatchObject({ status: 'approved' }),
      { timeoutMs: 60_000 },
    );

    const executor = platform.pid('executor');
    let flooding = true;
    let rssMax = 0;
    const calls: BystanderCall[] = [];
    const watch = Promise.all([
      callBystander(bystander, invoker, () => flooding, calls),
      (async () => {
        while (flooding) {
          rssMax = Math.max(rssMax, rssKb(executor) / 1024);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })(),
    ]);
    for (let round = 0; round < ROUNDS; round++) {
      const replies = await Promise.all(
        [0, 1].map(() =>
          api()
            .post(`/v1/plugins/${flood.id}/invoke`)
            .set(bearer(invoker))
            .send({ function: 'run', input: {} }),
        ),
      );
      for (const r of replies) expect(r.status).toBe(200);
    }
    const denied = ROUNDS * 2 * FS_READS;

    // Each recorded denial stands for itself, or for the count its reason gives.
    await expectEventually(
      async () => expect(await accountedDenials(db, flood.id)).toEqual({ denied, others: 0 }),
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    flooding = false;
    await watch;
    expect(calls.filter((c) => !c.ok)).toEqual([]);
    expect(calls.length).toBeGreaterThan(0);
    expect(rssMax).toBeLessThan(EXECUTOR_RSS_MB);
    const folded = await db.query(
      `SELECT data->>'target' AS target, data->>'reason' AS reason FROM audit.events
        WHERE type = 'permission.denied' AND plugin_id = $1 AND data->>'reason' ~ 'stands for them all'`,
      [flood.id],
    );
    for (const row of folded.rows) {
      expect(row.target).toBe('/etc/shadow');
      expect(row.reason).toMatch(
        /^\d+ denials of fs\.read of this target came while 2000 denials \(or 200 of this version\) were waiting/,
      );
    }
  }, 300_000);
});
