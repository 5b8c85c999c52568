import { createHash } from 'node:crypto';
import wabtInit from 'wabt';
import type { Permissions } from '@convergio/contracts';
import {
  SandboxRuntime,
  type DeniedEvent,
  type LoadedSandboxPlugin,
  type MainThreadOps,
  type OperatorPolicy,
} from '@convergio/sandbox';
import { HOST_FUNCTION_NAMES } from '../../host-functions.js';

/** A plugin in the real sandbox (a worker, the bridge, the main thread's ops). */
export interface PassThroughPlugin {
  /** Calls host function `fn` with `arg` (as JSON) from inside the plugin; its JSON answer. */
  call(fn: string, arg: unknown): Promise<Record<string, unknown>>;
  /** Instances that ended a call (their sockets are not closed: see below). */
  instances: Set<string>;
  /** Refusals recorded (what the executor would publish as permission.denied). */
  denials: DeniedEvent[];
  close(): Promise<void>;
}

/** WAT of a plugin whose export `call_<fn>` hands its input to `fn` and answers `fn`'s output. */
function passThroughWat(functions: readonly string[]): string {
  return `(module
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  ${functions.map((n) => `(import "extism:host/user" "${n}" (func $${n} (param i64) (result i64)))`).join('\n  ')}
  (memory (export "memory") 1)
  (func $copy_input (result i64) (local $len i64) (local $off i64) (local $i i64)
    (local.set $len (call $input_length))
    (local.set $off (call $alloc (local.get $len)))
    (block $words (loop $word
      (br_if $words (i64.gt_u (i64.add (local.get $i) (i64.const 8)) (local.get $len)))
      (call $store_u64 (i64.add (local.get $off) (local.get $i)) (call $input_load_u64 (local.get $i)))
      (local.set $i (i64.add (local.get $i) (i64.const 8)))
      (br $word)))
    (block $bytes (loop $byte
      (br_if $bytes (i64.ge_u (local.get $i) (local.get $len)))
      (call $store_u8 (i64.add (local.get $off) (local.get $i)) (call $input_load_u8 (local.get $i)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $byte)))
    (local.get $off))
  ${functions
    .map(
      (n) => `(func (export "call_${n}") (result i32) (local $out i64)
    (local.set $out (call $${n} (call $copy_input)))
    (call $output_set (local.get $out) (call $length (local.get $out)))
    (i32.const 0))`,
    )
    .join('\n  ')})`;
}

/**
 * Loads a plugin calling `functions` in a SandboxRuntime of its own, under `policy` and
 * `grants`, its host functions reaching `mainThreadOps`. Each `call` is one plugin call; the
 * sockets a call opens are kept for the next (the runtime is given no `onCallEnd`), so a test
 * can connect, send and receive in separate calls: close them with closeInstanceSockets.
 */
export async function loadPassThroughPlugin(options: {
  functions: readonly string[];
  policy: OperatorPolicy;
  grants: Permissions;
  mainThreadOps: MainThreadOps;
}): Promise<PassThroughPlugin> {
  const parsed = (await wabtInit()).parseWat('pass-through.wat', passThroughWat(options.functions));
  const bytes = new Uint8Array(parsed.toBinary({}).buffer);
  parsed.destroy();
  const instances = new Set<string>();
  const denials: DeniedEvent[] = [];
  const runtime = new SandboxRuntime({
    hostFunctionsModule: new URL('../../host-functions.ts', import.meta.url),
    hostFunctions: HOST_FUNCTION_NAMES,
    mainThreadOps: options.mainThreadOps,
    policy: options.policy,
    defaults: {
      wallTimeMs: 20_000,
      fuel: 1e10,
      maxMemoryPages: 256,
      maxHostCalls: 100,
      maxOutputBytes: 4 << 20,
    },
    logger: { warn: () => undefined, error: () => undefined },
    onCallEnd: (_plugin, instance) => void instances.add(instance),
    onDenied: (_plugin, event) => void denials.push(event),
  });
  const plugin: LoadedSandboxPlugin = await runtime.load(
    bytes,
    createHash('sha256').update(bytes).digest('hex'),
    {
      identity: { id: 'acme.pass-through', version: '1.0.0', trust: 'untrusted' },
      grants: options.grants,
    },
  );
  return {
    async call(fn, arg) {
      const input = new TextEncoder().encode(JSON.stringify(arg));
      const { output } = await plugin.call(`call_${fn}`, input);
      return JSON.parse(new TextDecoder().decode(output)) as Record<string, unknown>;
    },
    instances,
    denials,
    close: () => plugin.close(),
  };
}
