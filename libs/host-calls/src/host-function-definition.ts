import type { PermissionName } from '@convergio/contracts';
import type { HostEnvironment } from '@convergio/sandbox';
import type { HostCallOutcome } from './host-call-result.js';

/** A decision of libs/policy as a host function takes it: allowed, or refused naming a target. */
export type HostCallDecision =
  { allowed: true } | { allowed: false; reason: string; target: string };

/** Allowed: for functions whose decisions all need what the I/O finds (taken again in `run`). */
export const ALLOWED: HostCallDecision = { allowed: true };

/**
 * One host function of the plugin ABI. The dispatcher (`bindHostFunctions`) applies the steps in
 * order, stops at the first failure, and records every refusal itself, under `capability`:
 * `admit`, `parse`, `decide`, then `run`. Nothing here records or throws.
 */
export interface HostFunctionDefinition<Bound, Input> {
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
  /** The pure decision of libs/policy on the parsed input, taken once. */
  decide(value: Input, bound: Bound): HostCallDecision;
  /** The operation; decisions on what it finds (real paths, descriptors) are its own. */
  run(value: Input, bound: Bound): HostCallOutcome;
}

/**
 * Types a definition and erases its type parameters for the table (method parameters are
 * bivariant, so every definition fits the table's element type).
 */
export const defineHostFunction = <Bound, Input>(
  definition: HostFunctionDefinition<Bound, Input>,
): HostFunctionDefinition<Bound, Input> => definition;

/** The refusal text when the capability is not granted. */
export const notGranted = (capability: PermissionName): string => `${capability} is not granted`;
