import { readFileSync } from 'node:fs';
import pg from 'pg';
import { expectEventually, startPlatform } from '@convergio/testing';
import {
  api,
  bearer,
  createKey,
  greetManifest,
  runToolManifest,
  submit,
  versionState,
} from './support/fixtures.js';
import { assemble } from './support/chaos-modules.js';

/** Denied host calls a call makes: most of its 10,000 (EXECUTOR_MAX_HOST_CALLS). */
const FS_READS = 9_000;
const ROUNDS = 5;
/** As in the chaos suite: before, 200,000 denials grew the executor to 1.3 GiB, then 3.6 GiB. */
const EXECUTOR_RSS_MB = 400;
const PATH = '{"path":"/etc/shadow"}';
const bytes = (text: string) =>
  [...Buffer.from(text)].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');

/** Writes its input block once, then asks fs_read for /etc/shadow FS_READS times. */
const DENIAL_FLOOD = `(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/user" "fs_read" (func $fs_read (param i64) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "${bytes(PATH)}")
  (func (export "run") (result i32) (local $h i64) (local $i i32)
    (local.set $h (call $alloc (i64.const ${PATH.length})))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (i32.const ${PATH.length})))
      (call $store_u8 (i64.add (local.get $h) (i64.extend_i32_u (local.get $i))) (i32.load8_u (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.set $i (i32.const 0))
    (loop $again
      (drop (call $fs_read (local.get $h)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const ${FS_READS}))))
    (i32.const 0)))`;

const rssMb = (pid: number) =>
  Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

// Before: each denial was a transaction of its own, started at once and never awaited; a plugin
// with no permission refused 10,000 times a call piled them up until the executor ran out of heap
// and exited, and most denials were never recorded.
describe('a plugin that spends every host call on a denial', () => {
  let platform: Awaited<ReturnType<typeof startPlatform>>;
  let db: pg.Client;

  beforeAll(async () => {
    platform = await startPlatform();
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
    const bystander = greetManifest();
    await submit(publisher, bystander).expect(202);
    const module = await assemble(DENIAL_FLOOD);
    const flood = runToolManifest('denial-flood', module);
    await submit(publisher, flood, module).expect(202);
    for (const id of [bystander.id, flood.id])
      await expectEventually(
        async () => expect(await versionState(publisher, id)).toMatchObject({ status: 'approved' }),
        { timeoutMs: 60_000 },
      );

    const executor = platform.pid('executor');
    let flooding = true;
    let rssMax = 0;
    const bystanderFailures: string[] = [];
    let bystanderCalls = 0;
    const watch = (async () => {
      while (flooding) {
        rssMax = Math.max(rssMax, rssMb(executor));
        const res = await api()
          .post(`/v1/plugins/${bystander.id}/invoke`)
          .set(bearer(invoker))
          .send({ function: 'greet', input: { name: 'Ada' } });
        bystanderCalls++;
        if (res.status !== 200) bystanderFailures.push(`${res.status} ${JSON.stringify(res.body)}`);
      }
    })();
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
    const accounted = async () =>
      Number(
        (
          await db.query(
            `SELECT coalesce(sum(coalesce(substring(data->>'reason' from '^(\\d+) denials of .* stands for them all')::int, 1)), 0) AS n
               FROM audit.events WHERE type = 'permission.denied' AND plugin_id = $1`,
            [flood.id],
          )
        ).rows[0].n,
      );
    await expectEventually(async () => expect(await accounted()).toBe(denied), {
      timeoutMs: 120_000,
      intervalMs: 1000,
    });
    flooding = false;
    await watch;
    expect(bystanderFailures).toEqual([]);
    expect(bystanderCalls).toBeGreaterThan(0);
    expect(rssMax).toBeLessThan(EXECUTOR_RSS_MB);
    const folded = await db.query(
      `SELECT data->>'target' AS target, data->>'reason' AS reason FROM audit.events
        WHERE type = 'permission.denied' AND plugin_id = $1 AND data->>'reason' ~ 'stands for them all'`,
      [flood.id],
    );
    for (const row of folded.rows) {
      expect(row.target).toBe('/etc/shadow');
      expect(row.reason).toMatch(/^\d+ denials of fs\.read came while 2000 were waiting/);
    }
  }, 300_000);
});
