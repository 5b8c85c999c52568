import type { HostCallErrorCode } from '@convergio/contracts';
import type { HostError, HostFunctionTable, JsonHostFunction } from '../host-api.js';
import { errorMessage } from '../error-message.js';
import { decodeUtf8Escaped } from '../utf8-escaped.js';
import type { CallMeter } from './call-meter.js';
import type { KernelMemory } from './kernel-memory.js';

type ExtismHostFunction = (context: unknown, offset: bigint) => bigint;

/**
 * Bytes of a host call's input read at most, but in a form the function decodes itself (a `log`
 * line). The rest is decoded in the worker's JavaScript heap (64 MiB, WORKER_RESOURCE_LIMITS),
 * where a byte may become a UTF-16 unit and JSON.parse copies the text: 12 MiB take at most 48 MB.
 * Before, 50 MB of malformed UTF-8 handed to `log` ended the worker (found by a review). A file
 * of the default EXECUTOR_MAX_FILE_BYTES (8 MiB) written as base64 fits.
 */
const MAX_HOST_INPUT_BYTES = 12 * 1024 * 1024;

const hostError = (code: HostCallErrorCode, message: string): HostError => ({
  error: { code, message },
});

/**
 * Turns a table of JSON host functions into Extism host functions: read the input from the
 * plugin's kernel memory (the function's own decoder, else JSON.parse of its text, decoded
 * without loss: decodeUtf8Escaped), call,
 * stringify, store, return the offset. Nothing may throw into Wasm (the plugin could not tell a
 * host bug from its own trap), so every failure becomes a HostError.
 */
export function toExtismFunctions(
  table: HostFunctionTable,
  meter: CallMeter,
  memory: KernelMemory,
): Record<string, ExtismHostFunction> {
  const functions: Record<string, ExtismHostFunction> = {};
  for (const [name, fn] of Object.entries(table))
    functions[name] = (_context, offset) => {
      const input = memory.buffer(offset);
      return store(memory, invoke(input, fn, name, meter), input?.length ?? 0);
    };
  return functions;
}

function invoke(
  block: Buffer | null,
  fn: JsonHostFunction,
  name: string,
  meter: CallMeter,
): unknown {
  if (!meter.enterHostCall())
    return hostError('host_call_limit', `the call made more host calls than allowed (at ${name})`);
  return callWithJson(block, fn, name);
}

function callWithJson(block: Buffer | null, fn: JsonHostFunction, name: string): unknown {
  let input: unknown;
  try {
    const decoded = block && fn.decodeInput ? fn.decodeInput(block) : undefined;
    if (decoded === undefined && block && block.length > MAX_HOST_INPUT_BYTES)
      return hostError(
        'payload_too_large',
        `the input of ${name} is ${block.length} bytes, more than the ${MAX_HOST_INPUT_BYTES} a host call takes`,
      );
    input = decoded !== undefined ? decoded : JSON.parse(block ? decodeUtf8Escaped(block) : '');
  } catch {
    return hostError('bad_request', `the input of ${name} is not JSON`);
  }
  try {
    return fn(input) ?? null;
  } catch (error) {
    return hostError('host_error', `${name} failed: ${errorMessage(error)}`);
  }
}

// The result counts against the plugin's memory cap like its own blocks; when it does not fit,
// a short error may, and otherwise the plugin gets offset 0 ("no block") and the refusal is
// counted, so a call that then fails is reported as memory_limit. The buffers the host function
// read or wrote to produce it (its input, a file, a process's output: no larger than the text that
// carries them) are noted as garbage (see KernelMemory).
function store(memory: KernelMemory, result: unknown, inputBytes: number): bigint {
  const constant = constantBytes(result);
  let stored: bigint;
  if (constant) {
    memory.noteGarbage(inputBytes);
    stored = memory.storeShared(constant); // copied if the plugin writes into its block
  } else {
    const text = resultJson(result);
    memory.noteGarbage(inputBytes + Buffer.byteLength(text, 'utf8'));
    stored = memory.storeText(text); // encoded straight into its block
  }
  if (stored !== 0n) return stored;
  return memory.storeText(
    JSON.stringify(hostError('memory_limit', 'the result does not fit in memory')),
  );
}

function resultJson(result: unknown): string {
  try {
    return JSON.stringify(result) ?? 'null';
  } catch (error) {
    return JSON.stringify(hostError('host_error', `unusable result: ${errorMessage(error)}`));
  }
}

// A host function may answer many calls with one constant (a deeply frozen object, like `{ok:
// true}`): it is encoded once, into memory of its own that every block answering with it shares
// (see KernelMemory.storeShared). Nothing frozen can change, so its bytes stay right.
// The constant answered last is recognised by identity alone (a host function answering every
// call with `{ok: true}` skips the freeze check and the lookup).
const constants = new WeakMap<object, Buffer>();
let lastConstant: { result: object; bytes: Buffer } | undefined;

function constantBytes(result: unknown): Buffer | undefined {
  if (lastConstant !== undefined && lastConstant.result === result) return lastConstant.bytes;
  if (typeof result !== 'object' || result === null || !Object.isFrozen(result)) return undefined;
  let bytes = constants.get(result);
  if (bytes === undefined && deeplyFrozen(result)) {
    const json = resultJson(result);
    bytes = Buffer.alloc(Buffer.byteLength(json, 'utf8'));
    bytes.write(json, 'utf8');
    constants.set(result, bytes);
  }
  if (bytes !== undefined) lastConstant = { result, bytes };
  return bytes;
}

const deeplyFrozen = (value: unknown): boolean =>
  typeof value !== 'object' ||
  value === null ||
  (Object.isFrozen(value) && Object.values(value).every(deeplyFrozen));
