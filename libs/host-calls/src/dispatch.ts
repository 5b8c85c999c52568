import type {
  HostEnvironment,
  HostError,
  HostFunctionTable,
  JsonHostFunction,
} from '@convergio/sandbox';
import { abiTable, type RateLimiters } from './abi-table.js';
import {
  hostError,
  ioFailure,
  isFailure,
  Refusal,
  type HostCallFailure,
} from './host-call-result.js';
import type { HostFunctionDefinition } from './host-function-definition.js';

/**
 * Binds every function of the ABI table to one plugin and applies each definition's steps in
 * order (admit, parse, decide, run). Refusals are recorded here and nowhere else, through
 * `env.deny`, under the function's capability. Nothing throws into the plugin's worker.
 */
export function bindHostFunctions(
  env: HostEnvironment,
  limiters: RateLimiters = {},
): HostFunctionTable {
  const table: HostFunctionTable = {};
  for (const [name, definition] of Object.entries(abiTable(limiters)))
    table[name] = dispatcher(env, definition);
  return table;
}

function dispatcher(
  env: HostEnvironment,
  definition: HostFunctionDefinition<unknown, unknown, unknown>,
): JsonHostFunction {
  const bound = definition.bind(env);
  const settle = (outcome: HostCallFailure): HostError =>
    outcome instanceof Refusal
      ? env.deny(definition.capability ?? 'none', outcome.target, outcome.reason)
      : outcome;
  const call = (input: unknown): unknown => {
    try {
      const refused = definition.admit(bound);
      if (refused !== null)
        return env.deny(definition.capability ?? 'none', definition.target(input), refused);
      const value = definition.parse(input, bound);
      if (isFailure(value)) return settle(value);
      const decision = definition.decide(value, bound);
      if (!decision.allowed) return settle(new Refusal(decision.target, decision.reason));
      const result = definition.run(decision.decided, bound);
      return isFailure(result) ? settle(result) : result;
    } catch (error) {
      return (error as NodeJS.ErrnoException)?.code
        ? ioFailure(error)
        : hostError('internal', 'host function failed');
    }
  };
  const { decodeInput } = definition;
  return decodeInput ? Object.assign(call, { decodeInput }) : call;
}
