import { CallMeter, FUEL_CHUNK } from './call-meter.js';

const limits = {
  wallTimeMs: 1000,
  fuel: FUEL_CHUNK * 2 + 5,
  maxMemoryPages: 1,
  maxHostCalls: 2,
  maxOutputBytes: 1,
};

describe('CallMeter', () => {
  it('hands out the budget in chunks, then 0, and counts what was used', () => {
    const stats = new Float64Array(2);
    const meter = new CallMeter(stats);
    meter.begin(limits);
    expect([meter.refill(), meter.refill(), meter.refill(), meter.refill()]).toEqual([
      BigInt(FUEL_CHUNK),
      BigInt(FUEL_CHUNK),
      5n,
      0n,
    ]);
    expect(meter.fuelExhausted).toBe(true);
    expect(meter.fuelUsed()).toBe(limits.fuel);
    expect(stats[0]).toBe(limits.fuel);
  });

  it('subtracts the fuel left in the Wasm global', () => {
    const fuel = new WebAssembly.Global({ value: 'i64', mutable: true }, 0n);
    const meter = new CallMeter();
    meter.attach(fuel);
    meter.begin(limits);
    fuel.value = meter.refill() - 40n;
    expect(meter.fuelUsed()).toBe(40);
  });

  it('starts every call afresh, dropping the previous leftover', () => {
    const fuel = new WebAssembly.Global({ value: 'i64', mutable: true }, 0n);
    const meter = new CallMeter();
    meter.attach(fuel);
    meter.begin(limits);
    fuel.value = meter.refill();
    meter.countHostCall();
    meter.begin(limits);
    expect([fuel.value, meter.hostCalls, meter.fuelUsed()]).toEqual([0n, 0, 0]);
  });

  it('past maxHostCalls, refuses the call, empties the fuel and refills nothing', () => {
    const fuel = new WebAssembly.Global({ value: 'i64', mutable: true }, 0n);
    const meter = new CallMeter();
    meter.attach(fuel);
    meter.begin(limits);
    fuel.value = meter.refill();
    expect([meter.countHostCall(), meter.countHostCall(), meter.countHostCall()]).toEqual([
      true,
      true,
      false,
    ]);
    expect([fuel.value, meter.refill(), meter.hostCallLimitHit, meter.fuelExhausted]).toEqual([
      0n,
      0n,
      true,
      false,
    ]);
  });
});
