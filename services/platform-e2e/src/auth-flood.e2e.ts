import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectEventually, startPlatform, startRequest } from '@convergio/testing';
import { api, bearer, createKey, greetManifest, submit } from './support/fixtures.js';

const BURST = 5;

/** Access-log lines of the gateway so far. */
async function accessLines(logsDir: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(logsDir, 'gateway.log'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.includes('"context":"Access"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

// Before: every wrong key cost the shared database two queries, however it looked and however
// often its client sent it; a flood of them slowed every route. Submissions were buffered in
// memory without a bound on how many at once.
describe('the gateway under a flood of wrong keys and submissions', () => {
  let platform: Awaited<ReturnType<typeof startPlatform>>;

  beforeAll(async () => {
    platform = await startPlatform({
      GATEWAY_AUTH_FAILURE_BURST: String(BURST),
      GATEWAY_AUTH_FAILURES_PER_MINUTE: '60',
      GATEWAY_MAX_CONCURRENT_SUBMISSIONS: '2',
    });
    process.env.CONVERGIO_E2E_PLATFORM = JSON.stringify(platform.info);
  }, 120_000);
  afterAll(() => platform?.stop(), 60_000);

  it('says why a key of another shape is refused', async () => {
    await expectEventually(async () => {
      const res = await api().get('/v1/plugins').set(bearer('not-a-key')).expect(401);
      expect(res.body.error.message).toContain('not of the shape the platform issues');
    });
  });

  it('logs a 403 with the id of the key that authenticated', async () => {
    const invoker = await createKey('invoker');
    await api().get('/v1/api-keys').set(bearer(invoker)).expect(403);
    await expectEventually(async () => {
      const lines = await accessLines(platform.info.logsDir);
      const forbidden = lines.filter((l) => l.route === '/v1/api-keys' && l.status === 403);
      expect(forbidden.length).toBeGreaterThan(0);
      expect(forbidden.every((l) => typeof l.key_id === 'string')).toBe(true);
    });
  });

  it('refuses a submission beyond GATEWAY_MAX_CONCURRENT_SUBMISSIONS 503 with Retry-After; another publisher takes the place of a slow upload; places come back when uploads end', async () => {
    const publisher = await createKey('publisher');
    const port = Number(new URL(platform.info.gatewayUrl).port);
    const LENGTH = 1_000_000;
    const head = '--b\r\nContent-Disposition: form-data; name="module"; filename="m.wasm"\r\n\r\n';
    /** A submission of `key` still being sent: `rest()` sends the remainder of its body. */
    const slowUpload = async (key: string) => {
      const upload = await startRequest(
        { port },
        'POST /v1/plugins HTTP/1.1\r\nHost: x\r\n' +
          `Authorization: Bearer ${key}\r\n` +
          `Content-Type: multipart/form-data; boundary=b\r\nContent-Length: ${LENGTH}`,
        head + 'x'.repeat(1000),
      );
      return { ...upload, rest: () => upload.send('x'.repeat(LENGTH - head.length - 1000)) };
    };
    // The key is known to the gateway: the slow uploads take their places in the order sent.
    await api().get('/v1/plugins').set(bearer(publisher)).expect(200);
    // Two slow uploads of one publisher hold both places.
    const twoSlowUploads = async () => [await slowUpload(publisher), await slowUpload(publisher)];
    let slow = await twoSlowUploads();
    await expectEventually(async () => {
      const busy = await submit(publisher, greetManifest());
      if (busy.status === 202) {
        // This submission's key was checked before a slow upload's: it took the place, and the
        // slow upload refused waits for a body that never ends. The slow uploads start over.
        for (const s of slow) s.socket.destroy();
        slow = await twoSlowUploads();
      }
      expect(busy.status).toBe(503);
      expect(busy.headers['retry-after']).toBe('1');
      expect(busy.body.error).toMatchObject({
        code: 'unavailable',
        message: expect.stringContaining(
          'receiving 2 submissions already (GATEWAY_MAX_CONCURRENT_SUBMISSIONS), 2 of them this publisher',
        ),
      });
    });
    // Another publisher is served: its submission takes the place of one slow upload.
    const other = await createKey('publisher');
    await submit(other, greetManifest()).expect(202);
    // The upload that lost its place is answered once it has sent its body (the rest is dropped).
    for (const s of slow) s.rest();
    await expectEventually(() => {
      const lost = slow.filter((s) =>
        s.answer().includes("another publisher's submission took this one's place"),
      );
      expect(lost).toHaveLength(1);
      expect(lost[0].answer()).toMatch(/^HTTP\/1\.1 503 /);
    });
    for (const s of slow) s.socket.destroy();
    await expectEventually(async () => {
      const res = await submit(publisher, greetManifest());
      expect(res.status).toBe(202);
    });
    // A submission abandoned mid-body has its access line.
    (await slowUpload(publisher)).socket.destroy();
    await expectEventually(async () => {
      const lines = await accessLines(platform.info.logsDir);
      expect(lines).toContainEqual(
        expect.objectContaining({ method: 'POST', route: '/v1/plugins', status: 499 }),
      );
    });
  });

  it('answers a body sent without a valid key 401 before reading it, and logs the request', async () => {
    // From another loopback address: the failure it spends is not this suite's address's.
    // 200 KiB announced (under GATEWAY_MAX_INVOKE_BYTES), one byte sent.
    const invoke = await startRequest(
      { port: Number(new URL(platform.info.gatewayUrl).port), from: '127.0.0.2' },
      'POST /v1/plugins/e2e.any/invoke HTTP/1.1\r\nHost: x\r\n' +
        'Content-Type: application/json\r\nContent-Length: 204800',
      '{',
    );
    await expectEventually(() => expect(invoke.answer()).toMatch(/^HTTP\/1\.1 401 /));
    expect(invoke.answer()).toContain('"code":"unauthorized"');
    invoke.socket.destroy();
    await expectEventually(async () => {
      const lines = await accessLines(platform.info.logsDir);
      expect(lines).toContainEqual(
        expect.objectContaining({
          method: 'POST',
          route: '/v1/plugins/:id/invoke',
          status: 401,
          key_id: null,
        }),
      );
    });
  });

  it('answers a header block over 16 KiB 431 in the error shape', async () => {
    const res = await api()
      .get('/v1/plugins')
      .set('X-Big', 'x'.repeat(17 * 1024))
      .ok(() => true);
    expect(res.status).toBe(431);
    expect(res.text.endsWith('}\n')).toBe(true);
    expect(res.body).toMatchObject({
      error: { code: 'bad_request', details: [{ code: 'headers_too_large' }] },
    });
  });

  it('refuses an address that keeps failing 429 rate_limited with Retry-After; a valid key elsewhere is served', async () => {
    const invoker = await createKey('invoker');
    const wrong = `cvg_${'A'.repeat(43)}`;
    // The earlier cases spent a failure or two of this address's BURST.
    const statuses: number[] = [];
    for (let i = 0; i <= BURST; i++)
      statuses.push((await api().get('/v1/plugins').set(bearer(wrong))).status);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(BURST - 2);
    expect(statuses.at(-1)).toBe(429);
    const limited = await api().get('/v1/plugins').set(bearer(invoker)).expect(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.body).toMatchObject({
      error: {
        code: 'rate_limited',
        message: expect.stringContaining('GATEWAY_AUTH_FAILURE_BURST'),
      },
    });
    // Last: this address is out of failures for a while. The health probe needs no key and is never limited.
    await api().get('/healthz').expect(200);
    // One failure back per second: the valid key passes again.
    await expectEventually(async () => {
      await api().get('/v1/plugins').set(bearer(invoker)).expect(200);
    });
  });
});
