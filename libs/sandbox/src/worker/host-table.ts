import type { CurrentPlugin } from '@extism/extism';
import type { HostError, HostFunctionTable } from '../host-api.js';
import { errorMessage } from '../error-message.js';
import type { CallMeter } from './call-meter.js';

type ExtismHostFunction = (cp: CurrentPlugin, offset: bigint) => bigint;

const hostError = (code: string, message: string): HostError => ({ error: { code, message } });

/**
 * Turns a table of JSON host functions into Extism host functions: read the input string from
 * Extism memory, parse, call, stringify, store, return the offset. Nothing may throw into Wasm
 * (the plugin could not tell a host bug from its own trap), so every failure becomes a HostError.
 */
export function toExtismFunctions(
  table: HostFunctionTable,
  meter: CallMeter,
): Record<string, ExtismHostFunction> {
  const functions: Record<string, ExtismHostFunction> = {};
  for (const [name, fn] of Object.entries(table))
    functions[name] = (cp, offset) => store(cp, invoke(cp, offset, fn, name, meter));
  return functions;
}

function invoke(
  cp: CurrentPlugin,
  offset: bigint,
  fn: (input: unknown) => unknown,
  name: string,
  meter: CallMeter,
): unknown {
  if (!meter.enterHostCall())
    return hostError('host_call_limit', `the call made more host calls than allowed (at ${name})`);
  try {
    return callWithJson(cp, offset, fn, name);
  } finally {
    meter.leaveHostCall();
  }
}

function callWithJson(
  cp: CurrentPlugin,
  offset: bigint,
  fn: (input: unknown) => unknown,
  name: string,
): unknown {
  let input: unknown;
  try {
    input = JSON.parse(cp.read(offset)?.text() ?? '');
  } catch {
    return hostError('bad_request', `the input of ${name} is not JSON`);
  }
  try {
    return fn(input) ?? null;
  } catch (error) {
    return hostError('host_error', `${name} failed: ${errorMessage(error)}`);
  }
}

function store(cp: CurrentPlugin, result: unknown): bigint {
  try {
    return cp.store(JSON.stringify(result));
  } catch (error) {
    try {
      return cp.store(
        JSON.stringify(hostError('host_error', `unusable result: ${errorMessage(error)}`)),
      );
    } catch {
      // Extism memory is exhausted; offset 0 is "no block" and the plugin sees an empty result.
      return 0n;
    }
  }
}
