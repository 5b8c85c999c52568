import { readFileSync } from 'node:fs';
import { expectEventually } from '@convergio/testing';
import { api, bearer, greetManifest, submit, versionState } from './fixtures.js';

/** One call of the bystander: its status, how long it took, and whether it greeted right. */
export interface BystanderCall {
  status: number;
  ms: number;
  ok: boolean;
}

/** Resident set of process `pid`, kB. */
export const rssKb = (pid: number) =>
  Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

/** Submits the greet example as a bystander of `publisher`'s and waits until it is loaded. */
export async function deployBystander(publisher: string): Promise<string> {
  const greet = greetManifest();
  await submit(publisher, greet).expect(202);
  await expectEventually(async () =>
    expect(await versionState(publisher, greet.id)).toMatchObject({ loaded: true }),
  );
  return greet.id;
}

/**
 * Calls the bystander `id` one call after another while `running()` (at most 20,000 calls),
 * pushing each onto `calls`: what the attacks running meanwhile must never disturb.
 */
export async function callBystander(
  id: string,
  invoker: string,
  running: () => boolean,
  calls: BystanderCall[],
): Promise<void> {
  for (let i = 0; running() && i < 20_000; i++) {
    const started = performance.now();
    const res = await api()
      .post(`/v1/plugins/${id}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'greet', input: { name: `caller ${i}` } });
    const ok =
      res.status === 200 &&
      (res.body as { output?: { greeting?: string } }).output?.greeting === `Hello, caller ${i}!`;
    calls.push({ status: res.status, ms: performance.now() - started, ok });
  }
}
