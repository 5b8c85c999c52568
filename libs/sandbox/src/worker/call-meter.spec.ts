import { CallMeter, killedCallProgress, STATS_LENGTH } from './call-meter.js';

const limits = {
  wallTimeMs: 1000,
  fuel: 1000,
  maxMemoryPages: 1,
  maxHostCalls: 2,
  maxOutputBytes: 1,
};

function attached(stats = new Float64Array(STATS_LENGTH)) {
  const fuel = new WebAssembly.Global({ value: 'i64', mutable: true }, 0n);
  const meter = new CallMeter(stats);
  meter.attach(fuel);
  meter.begin(limits);
  return { fuel, meter, stats };
}

describe('CallMeter', () => {
  it('puts the whole budget in the Wasm global and counts what the code took from it', () => {
    const { fuel, meter } = attached();
    expect(fuel.value).toBe(1000n);
    fuel.value = 960n;
    expect([meter.fuelUsed(), meter.fuelExhausted]).toEqual([40, false]);
  });

  it('reads a spent budget as exhausted', () => {
    const { fuel, meter } = attached();
    fuel.value = 0n;
    expect([meter.fuelUsed(), meter.fuelExhausted]).toEqual([1000, true]);
  });

  it('starts every call afresh, dropping the previous leftover and counts', () => {
    const { fuel, meter } = attached();
    fuel.value = 10n;
    meter.enterHostCall();
    meter.begin(limits);
    expect([fuel.value, meter.hostCalls, meter.fuelUsed()]).toEqual([1000n, 0, 0]);
  });

  it('past maxHostCalls, refuses the call and empties the fuel, keeping the figure used', () => {
    const { fuel, meter } = attached();
    fuel.value = 900n;
    const answers = [meter.enterHostCall(), meter.enterHostCall(), meter.enterHostCall()];
    expect(answers).toEqual([true, true, false]);
    expect([fuel.value, meter.hostCallLimitHit, meter.fuelExhausted, meter.fuelUsed()]).toEqual([
      0n,
      true,
      false,
      100,
    ]);
  });

  it('shares an exact fuel figure only while a host call waits on the host', () => {
    const { fuel, meter, stats } = attached();
    fuel.value = 700n;
    meter.enterHostCall();
    expect(killedCallProgress(stats)).toEqual({ host_calls: 1, memory_pages: null });
    const seen = meter.whileWaiting(() => killedCallProgress(stats));
    expect(seen).toEqual({ fuel_used: 300, host_calls: 1, memory_pages: null });
    expect(killedCallProgress(stats)).toEqual({ host_calls: 1, memory_pages: null });
    expect(() =>
      meter.whileWaiting(() => {
        throw new Error('the wait failed');
      }),
    ).toThrow('the wait failed');
    expect(killedCallProgress(stats)).toEqual({ host_calls: 1, memory_pages: null });
  });
});
