import { DenialPacer } from './denial-pacer.js';

describe('DenialPacer', () => {
  const pacer = (perSecond: number) => {
    let now = 0;
    const slept: number[] = [];
    const paced = new DenialPacer(
      perSecond,
      (ms) => {
        slept.push(ms);
        now += ms;
      },
      () => now,
    );
    return { paced, slept, advance: (ms: number) => (now += ms) };
  };

  it("sends a burst of one second's worth at once, then each refusal waits its turn", () => {
    const { paced, slept } = pacer(10);
    for (let i = 0; i < 10; i++) expect(paced.take()).toBe(0);
    expect(paced.take()).toBeCloseTo(100);
    expect(paced.take()).toBeCloseTo(100);
    expect(slept.map(Math.round)).toEqual([100, 100]);
  });

  it('refills with time, never past the burst', () => {
    const { paced, slept, advance } = pacer(10);
    for (let i = 0; i < 10; i++) paced.take();
    advance(10_000);
    for (let i = 0; i < 10; i++) expect(paced.take()).toBe(0);
    expect(paced.take()).toBeCloseTo(100);
    expect(slept).toHaveLength(1);
  });

  it('holds any rate over a long flood: n refusals past the burst take n / rate seconds', () => {
    const { paced, slept } = pacer(200);
    for (let i = 0; i < 200 + 1000; i++) paced.take();
    expect(slept.reduce((a, b) => a + b, 0)).toBeCloseTo(5000);
  });
});
