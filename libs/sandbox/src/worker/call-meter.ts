import type { CallLimits } from '../call-limits.js';

/** Fuel handed out per refill: large enough that refills cost little, small enough to stop promptly. */
export const FUEL_CHUNK = 100_000;

/**
 * One call's budget of fuel and host calls, kept in the worker. The Wasm side holds only the
 * current chunk (an exported global); the rest is handed out by {@link CallMeter.refill}.
 */
export class CallMeter {
  private remaining = 0;
  private granted = 0;
  private maxHostCalls = 0;
  private calls = 0;
  private exhausted = false;
  private overHostCalls = false;
  private fuel: WebAssembly.Global | undefined;

  /** @param stats shared [granted, hostCalls], so the supervisor can report a call it had to kill. */
  constructor(private readonly stats: Float64Array = new Float64Array(2)) {}

  /** The instance's fuel global, so a stop takes effect at the next fuel check. */
  attach(fuel: WebAssembly.Global | undefined): void {
    this.fuel = fuel;
  }

  begin(limits: CallLimits): void {
    this.remaining = limits.fuel;
    this.granted = 0;
    this.maxHostCalls = limits.maxHostCalls;
    this.calls = 0;
    this.exhausted = false;
    this.overHostCalls = false;
    this.stats[0] = 0;
    this.stats[1] = 0;
    // Leftover fuel of the previous call must not be spent by this one.
    if (this.fuel) this.fuel.value = 0n;
  }

  /** Answers the Wasm fuel check: the next chunk, or 0 (the check then traps). */
  refill(): bigint {
    if (this.overHostCalls) return 0n;
    const chunk = Math.min(FUEL_CHUNK, this.remaining);
    if (chunk === 0) {
      this.exhausted = true;
      return 0n;
    }
    this.remaining -= chunk;
    this.granted += chunk;
    this.stats[0] = this.granted;
    return BigInt(chunk);
  }

  /**
   * Counts a host call; false once past the limit. The plugin then gets an error result, and its
   * fuel is zeroed so the next fuel check traps instead of letting it loop on refused calls.
   */
  countHostCall(): boolean {
    this.calls++;
    this.stats[1] = this.calls;
    if (this.calls <= this.maxHostCalls) return true;
    this.overHostCalls = true;
    if (this.fuel) this.fuel.value = 0n;
    return false;
  }

  get fuelExhausted(): boolean {
    return this.exhausted;
  }

  get hostCallLimitHit(): boolean {
    return this.overHostCalls;
  }

  get hostCalls(): number {
    return this.calls;
  }

  fuelUsed(): number {
    const left = this.fuel ? Number(this.fuel.value as bigint) : 0;
    return this.granted - Math.max(0, left);
  }
}
