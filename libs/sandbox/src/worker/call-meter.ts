import type { CallLimits, CallResources } from '../call-limits.js';

/** Indexes of the stats shared with the supervisor, which must report on a call it killed. */
const STAT_FUEL_USED = 0;
const STAT_HOST_CALLS = 1;
/**
 * 1 while a host call waits on the host (a main-thread operation, where a call past its wall
 * time is usually stopped): the fuel figure is then exact. Elsewhere it is stale and unreported:
 * reading the fuel global makes a BigInt, too costly for every host call.
 */
const STAT_WAITING = 2;
export const STATS_LENGTH = 3;

/**
 * One call's budget of fuel and host calls, kept in the worker. The Wasm side counts fuel down in
 * an exported global that traps at zero; the meter sets the budget there and reads what is left.
 */
export class CallMeter {
  private budget = 0;
  private maxHostCalls = 0;
  private calls = 0;
  private overHostCalls = false;
  private usedAtStop = 0;
  private fuel: WebAssembly.Global | undefined;

  constructor(private readonly stats: Float64Array = new Float64Array(STATS_LENGTH)) {}

  /** The instance's fuel global; a call begun before this is not metered. */
  attach(fuel: WebAssembly.Global | undefined): void {
    this.fuel = fuel;
  }

  begin(limits: CallLimits): void {
    this.budget = limits.fuel;
    this.maxHostCalls = limits.maxHostCalls;
    this.calls = 0;
    this.overHostCalls = false;
    this.stats.fill(0);
    // Also drops the previous call's leftover, which this call must not spend.
    if (this.fuel) this.fuel.value = BigInt(limits.fuel);
  }

  /**
   * Counts a host call; false once past the limit. The plugin then gets an error result, and its
   * fuel is emptied so the next fuel check traps instead of letting it loop on refused calls.
   */
  enterHostCall(): boolean {
    this.calls++;
    this.stats[STAT_HOST_CALLS] = this.calls;
    if (this.calls > this.maxHostCalls) {
      this.usedAtStop = this.fuelUsed();
      this.overHostCalls = true;
      if (this.fuel) this.fuel.value = 0n;
      return false;
    }
    return true;
  }

  /** Runs `wait` (a host call waiting on the host) with the exact fuel figure shared meanwhile. */
  whileWaiting<T>(wait: () => T): T {
    this.stats[STAT_FUEL_USED] = this.fuelUsed();
    this.stats[STAT_WAITING] = 1;
    try {
      return wait();
    } finally {
      this.stats[STAT_WAITING] = 0;
    }
  }

  /** Whether a trap of the call was the fuel check (the budget is spent). */
  get fuelExhausted(): boolean {
    return !this.overHostCalls && this.left() <= 0n;
  }

  get hostCallLimitHit(): boolean {
    return this.overHostCalls;
  }

  get hostCalls(): number {
    return this.calls;
  }

  fuelUsed(): number {
    if (this.overHostCalls) return this.usedAtStop;
    const left = this.left();
    return this.budget - Number(left > 0n ? left : 0n);
  }

  private left(): bigint {
    return this.fuel ? (this.fuel.value as bigint) : BigInt(this.budget);
  }
}

/** What the supervisor can tell of a call it killed: fuel only if it was waiting on the host. */
export function killedCallProgress(stats: Float64Array): Omit<CallResources, 'wall_ms'> {
  const used = { memory_pages: null, host_calls: stats[STAT_HOST_CALLS] };
  return stats[STAT_WAITING] ? { ...used, fuel_used: stats[STAT_FUEL_USED] } : used;
}
