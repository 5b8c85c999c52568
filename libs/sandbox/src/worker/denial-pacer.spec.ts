import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../worker-entry.js';
import { createDenialBucket, DenialPacer } from './denial-pacer.js';

const MS = 1_000_000n;

describe('DenialPacer', () => {
  // Pacers on one bucket, on one clock that their sleeps advance (the threads of a flood, one
  // turn after the other).
  const clock = () => {
    let now = 5_000n * MS;
    const slept: number[] = [];
    const pacer = (perSecond: number, bucket = createDenialBucket()) =>
      new DenialPacer(
        bucket,
        perSecond,
        (ms) => {
          slept.push(ms);
          now += BigInt(Math.round(ms * 1e6));
        },
        () => now,
      );
    return { pacer, slept, advance: (ms: number) => (now += BigInt(ms) * MS) };
  };

  it("sends a burst of one second's worth at once, then each refusal waits its turn", () => {
    const { pacer, slept } = clock();
    const paced = pacer(10);
    for (let i = 0; i < 10; i++) expect(paced.take()).toBe(0);
    expect(paced.take()).toBeCloseTo(100);
    expect(paced.take()).toBeCloseTo(100);
    expect(slept.map(Math.round)).toEqual([100, 100]);
  });

  it('refills with time, never past the burst', () => {
    const { pacer, slept, advance } = clock();
    const paced = pacer(10);
    for (let i = 0; i < 10; i++) paced.take();
    advance(10_000);
    for (let i = 0; i < 10; i++) expect(paced.take()).toBe(0);
    expect(paced.take()).toBeCloseTo(100);
    expect(slept).toHaveLength(1);
  });

  it('holds any rate over a long flood: n refusals past the burst take n / rate seconds', () => {
    const { pacer, slept } = clock();
    const paced = pacer(200);
    for (let i = 0; i < 200 + 1000; i++) paced.take();
    expect(slept.reduce((a, b) => a + b, 0)).toBeCloseTo(5000);
  });

  it('shares one burst and one rate among the pacers of a bucket (the instances of a version)', () => {
    const { pacer, slept } = clock();
    const bucket = createDenialBucket();
    const [one, two] = [pacer(10, bucket), pacer(10, bucket)];
    for (let i = 0; i < 5; i++) expect([one.take(), two.take()]).toEqual([0, 0]);
    expect(two.take()).toBeCloseTo(100);
    for (let i = 0; i < 500; i++) (i % 2 ? one : two).take();
    // 501 refusals past the burst, whichever instance sent them, at 10 a second.
    expect(slept.reduce((a, b) => a + b, 0)).toBeCloseTo(50_100);
  });

  it('gives a pacer started on a spent bucket (a replaced instance) no burst of its own', () => {
    const { pacer, advance } = clock();
    const bucket = createDenialBucket();
    const first = pacer(10, bucket);
    for (let i = 0; i < 10; i++) first.take();
    const replacement = pacer(10, bucket);
    expect(replacement.take()).toBeCloseTo(100);
    // What time refilled, and no more.
    advance(300);
    for (let i = 0; i < 3; i++) expect(replacement.take()).toBe(0);
    expect(replacement.take()).toBeCloseTo(100);
  });

  it('leaves a bystander bucket full', () => {
    const { pacer } = clock();
    const flooded = pacer(10);
    for (let i = 0; i < 20; i++) flooded.take();
    const bystander = pacer(10);
    for (let i = 0; i < 10; i++) expect(bystander.take()).toBe(0);
  });

  it('neither loses nor double-counts a token when threads take turns at once', async () => {
    const [threads, turns, perSecond, nowNs] = [4, 20_000, 1000, 5_000n * MS];
    const bucket = createDenialBucket();
    const go = new SharedArrayBuffer(4);
    const entry = workerEntry(import.meta.url, '../testing/denial-turns-worker');
    const workers = Array.from(
      { length: threads },
      () =>
        new Worker(entry.filename, {
          ...entry.options,
          workerData: { bucket, go, perSecond, turns, nowNs },
        }),
    );
    const messages = workers.map((w) => {
      const next = () => once(w, 'message').then(([m]) => m as unknown);
      return next().then(() => ({ free: next() }));
    });
    const started = await Promise.all(messages);
    Atomics.store(new Int32Array(go), 0, 1);
    Atomics.notify(new Int32Array(go), 0);
    const free = (await Promise.all(started.map((s) => s.free))) as number[];
    await Promise.all(workers.map((w) => w.terminate()));
    // On a stopped clock: exactly one burst was free, and every turn moved the bucket on by one.
    expect(free.reduce((a, b) => a + b, 0)).toBe(perSecond);
    expect(new BigInt64Array(bucket)[0]).toBe(nowNs + BigInt(threads * turns) * MS);
  }, 60_000);
});
