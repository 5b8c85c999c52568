// WAT plugins speaking the raw Extism kernel ABI, some well-behaved, most hostile.
import { createHash } from 'node:crypto';
import wabtInit from 'wabt';
import { TEST_HOST_FUNCTION_NAMES } from './test-host-functions.js';

/** Module bytes with the SHA-256 they are loaded under. */
export interface TestModule {
  bytes: Uint8Array;
  sha256: string;
}

const KERNEL = `
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))`;

const hostImport = (name: string) =>
  `(import "extism:host/user" "${name}" (func $${name} (param i64) (result i64)))`;

/**
 * WAT helpers for test plugins (they need the kernel's alloc, length, store_u8, input_length,
 * input_load_u8 and output_set imported): $copy_input puts the call input in a fresh Extism
 * block; $answer makes a block the output.
 */
export const IO_HELPERS_WAT = `
  (func $copy_input (result i64) (local $len i64) (local $off i64) (local $i i64)
    (local.set $len (call $input_length))
    (local.set $off (call $alloc (local.get $len)))
    (block $done (loop $next
      (br_if $done (i64.ge_u (local.get $i) (local.get $len)))
      (call $store_u8 (i64.add (local.get $off) (local.get $i)) (call $input_load_u8 (local.get $i)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))
    (local.get $off))
  (func $answer (param $off i64) (result i32)
    (call $output_set (local.get $off) (call $length (local.get $off)))
    (i32.const 0))`;

/** Host functions the plugin module imports; each has an export `call_<name>` passing the input through. */
export const TEST_HOST_FUNCTIONS = TEST_HOST_FUNCTION_NAMES.filter((name) => name !== 'log');

/** The plugin most tests use: well-behaved and hostile exports side by side. */
export const PLUGIN_WAT = `(module
  ${KERNEL}
  ${TEST_HOST_FUNCTIONS.map(hostImport).join('\n  ')}
  (memory (export "memory") 1)
  ${IO_HELPERS_WAT}
  (func (export "noop") (result i32) (i32.const 0))
  (func (export "echo") (result i32) (call $answer (call $copy_input)))
  ${TEST_HOST_FUNCTIONS.map((n) => `(func (export "call_${n}") (result i32) (call $answer (call $${n} (call $copy_input))))`).join('\n  ')}
  (func (export "overwrite_constant") (result i32) (local $first i64)
    (local.set $first (call $constant (call $copy_input)))
    (call $store_u8 (local.get $first) (i32.const 88))
    (call $answer (call $constant (call $copy_input))))
  (func (export "spin") (result i32) (loop $forever (br $forever)) (i32.const 0))
  (func (export "membomb") (result i32)
    (loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    (i32.store (i32.const 0x7ffffff0) (i32.const 1))
    (i32.const 0))
  (func $recurse (param i64) (result i64) (i64.add (call $recurse (i64.add (local.get 0) (i64.const 1))) (i64.const 1)))
  (func (export "recurse") (result i32) (drop (call $recurse (i64.const 0))) (i32.const 0))
  (func (export "host_loop") (result i32) (local $in i64)
    (local.set $in (call $copy_input))
    (loop $again (drop (call $echo_host (local.get $in))) (br $again))
    (i32.const 0))
  (func (export "deny_loop") (result i32) (local $in i64)
    (local.set $in (call $copy_input))
    (loop $again (drop (call $deny_me (local.get $in))) (br $again))
    (i32.const 0))
  (func (export "big_output") (result i32) (local $off i64)
    (local.set $off (call $alloc (i64.const 104857600)))
    (call $output_set (local.get $off) (i64.const 104857600))
    (i32.const 0))
  (func (export "count") (result i32) (local $i i32)
    (loop $next (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 1000000))))
    (i32.const 0))
)`;

/** A module importing the function `namespace`.`name` of type `type`. */
export function importingWat(
  namespace: string,
  name: string,
  type = '(param i64) (result i64)',
): string {
  return `(module (import "${namespace}" "${name}" (func $f ${type}))
    (func (export "run") (result i32) (i32.const 0)))`;
}

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabt: Wabt | undefined;

/** Assembles WAT text; `features` turns on proposals wabt leaves off (`{ tail_call: true }`). */
export async function wat(
  source: string,
  features: Parameters<Wabt['parseWat']>[2] = {},
): Promise<TestModule> {
  wabt ??= await wabtInit();
  const parsed = wabt.parseWat('test.wat', source, features);
  try {
    const bytes = new Uint8Array(parsed.toBinary({}).buffer);
    return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
  } finally {
    parsed.destroy();
  }
}
