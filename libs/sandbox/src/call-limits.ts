import { MAX_WASM_PAGES } from './cap-memory.js';

/** The limits of one plugin call; a call that exceeds one fails with a {@link SandboxError}. */
export interface CallLimits {
  /** Wall time of the call in ms; past it the plugin's worker is terminated (`timeout`). */
  wallTimeMs: number;
  /**
   * CPU budget in fuel units: one unit per loop iteration and per entry of a function that may
   * loop or recurse, one more per further 1000 instructions they hold (see meterCodeSection: a
   * unit pays for at most 1000), and bulk work charged before it runs: one unit per
   * 16 bytes of memory.fill/copy/init, 64 per table element filled, copied or initialized,
   * 1024 per element table.grow adds plus 1 per element the table held, 8192 per page of the
   * memory after a memory.grow (see bulk-fuel.ts); the rest costs nothing
   * (`cpu_limit`). Deterministic, unlike wall time.
   */
  fuel: number;
  /** Cap on linear memory and, separately, on Extism's host-side memory, in 64 KiB pages. */
  maxMemoryPages: number;
  /** Host-function calls one call may make (`host_call_limit`). */
  maxHostCalls: number;
  /** Bytes of output one call may return (`output_too_large`). */
  maxOutputBytes: number;
}

/** What one call consumed; returned on success and attached to every call failure. */
export interface CallResources {
  wall_ms: number;
  /** Absent when a killed call was running Wasm code: its count died with the worker. */
  fuel_used?: number;
  /** Linear memory size after the call, in pages; `null` when the instance was lost (timeout, crash). */
  memory_pages: number | null;
  host_calls: number;
}

const LIMIT_KEYS = [
  'wallTimeMs',
  'fuel',
  'maxMemoryPages',
  'maxHostCalls',
  'maxOutputBytes',
] as const;

/** Checks `limits`; throws a RangeError naming the first bad field. */
export function validateLimits(limits: CallLimits): CallLimits {
  for (const key of LIMIT_KEYS) {
    const value = limits[key];
    if (!Number.isSafeInteger(value) || value <= 0)
      throw new RangeError(`${key} must be a positive safe integer, got ${value}`);
  }
  if (limits.maxMemoryPages > MAX_WASM_PAGES)
    throw new RangeError(
      `maxMemoryPages must be at most ${MAX_WASM_PAGES}, got ${limits.maxMemoryPages}`,
    );
  return { ...limits };
}

/** A plugin's own limits, each capped at the operator's default: a plugin can only ask for less. */
export function capLimits(defaults: CallLimits, requested: Partial<CallLimits> = {}): CallLimits {
  const capped = { ...defaults };
  for (const key of LIMIT_KEYS) {
    const value = requested[key];
    if (value !== undefined) capped[key] = Math.min(defaults[key], value);
  }
  return validateLimits(capped);
}
