import type { PermissionName } from '@convergio/contracts';
import type { HostEnvironment, InputDecoder } from '@convergio/sandbox';
import type { HostCallOutcome } from './host-call-result.js';

/** A refusal of libs/policy as a host function takes it, naming what it refused. */
export interface HostCallRefusal {
  allowed: false;
  reason: string;
  target: string;
}

/** A decision of libs/policy as a host function takes it: allowed (with what `run` gets), or refused. */
export type HostCallDecision<Decided> = { allowed: true; decided: Decided } | HostCallRefusal;

/** Allowed: `run` gets `decided`. */
export const allow = <Decided>(decided: Decided): HostCallDecision<Decided> => ({
  allowed: true,
  decided,
});

/**
 * One host function of the plugin ABI. The dispatcher (`bindHostFunctions`) applies the steps in
 * order, stops at the first failure, and records every refusal itself, under `capability`:
 * `admit`, `parse`, `decide`, then `run` on what `decide` allowed. Nothing here records or throws.
 */
export interface HostFunctionDefinition<Bound, Input, Decided = Input> {
  /** The permission it needs (refusals are filed under it); null: none. */
  capability: PermissionName | null;
  /** What the plugin asked for, as a refusal names it before the input is parsed. */
  target(input: unknown): string;
  /** Binds it to one plugin, once per worker: grants resolved, limiter chosen. */
  bind(env: HostEnvironment): Bound;
  /** May this plugin call it at all (grant present, trust)? null: yes; else why not. */
  admit(bound: Bound): string | null;
  /** The input as a typed value, or `invalid_input`, or a refusal (a malformed path or binary). */
  parse(input: unknown, bound: Bound): HostCallOutcome<Input>;
  /** The pure decision of libs/policy on the parsed input, taken once; allowed, what to run. */
  decide(value: Input, bound: Bound): HostCallDecision<Decided>;
  /** The operation, on what was decided; decisions on what it finds (real paths, descriptors) are its own. */
  run(decided: Decided, bound: Bound): HostCallOutcome;
  /**
   * Reads the input block in its usual form without JSON.parse (see InputDecoder); `parse` still
   * checks what it reads. Absent: JSON.parse reads every input.
   */
  decodeInput?: InputDecoder;
}

/**
 * Types a definition and erases its type parameters for the table (method parameters are
 * bivariant, so every definition fits the table's element type).
 */
export const defineHostFunction = <Bound, Input, Decided = Input>(
  definition: HostFunctionDefinition<Bound, Input, Decided>,
): HostFunctionDefinition<Bound, Input, Decided> => definition;

/** The refusal text when the capability is not granted. */
export const notGranted = (capability: PermissionName): string => `${capability} is not granted`;
