// A WAT plugin that attacks the Extism kernel imports themselves (extism:host/env): allocation,
// block addressing, vars, config and logging. Each export is one attack seen or expected.

import { IO_HELPERS_WAT } from './hostile-modules.js';

const MiB = 1024 * 1024;

/** Size of each block the alloc floods ask for (the attack seen: 64 MiB against a 64 MiB cap). */
export const FLOOD_BLOCK_BYTES = 64 * MiB;
/** Blocks each alloc flood asks for. */
export const FLOOD_BLOCKS = 32;

const KERNEL_IMPORTS = `
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "free" (func $free (param i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "load_u8" (func $load_u8 (param i64) (result i32)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "config_get" (func $config_get (param i64) (result i64)))
  (import "extism:host/env" "var_get" (func $var_get (param i64) (result i64)))
  (import "extism:host/env" "var_set" (func $var_set (param i64 i64)))
  (import "extism:host/env" "log_error" (func $log_error (param i64)))
  (import "extism:host/env" "log_warn" (func $log_warn (param i64)))
  (import "extism:host/env" "log_info" (func $log_info (param i64)))
  (import "extism:host/env" "log_debug" (func $log_debug (param i64)))
  (import "extism:host/env" "log_trace" (func $log_trace (param i64)))`;

// The I/O helpers, plus $answer_u64: a number becomes the output; $key: a one-byte block
// holding "k"; $handle: Extism's addressing, index << 48.
const HELPERS = `${IO_HELPERS_WAT}
  (func $answer_u64 (param $value i64) (result i32) (local $off i64)
    (local.set $off (call $alloc (i64.const 8)))
    (call $store_u64 (local.get $off) (local.get $value))
    (call $answer (local.get $off)))
  (func $key (result i64) (local $off i64)
    (local.set $off (call $alloc (i64.const 1)))
    (call $store_u8 (local.get $off) (i32.const 107))
    (local.get $off))
  (func $handle (param $index i64) (result i64) (i64.shl (local.get $index) (i64.const 48)))`;

/** The kernel-attack plugin. */
export const KERNEL_ATTACK_WAT = `(module
  ${KERNEL_IMPORTS}
  (memory (export "memory") 1)
  ${HELPERS}
  (func (export "echo") (result i32) (call $answer (call $copy_input)))

  ;; Every alloc is refused, then the block it would have been is written at its predictable
  ;; address: Extism rc13 registered it anyway (index 2 onwards; 0 is its own, 1 the input).
  (func (export "alloc_store_flood") (result i32) (local $i i64) (local $page i64)
    (loop $next
      (drop (call $alloc (i64.const ${FLOOD_BLOCK_BYTES})))
      (local.set $page (i64.const 0))
      (loop $touch
        (call $store_u8 (i64.add (call $handle (i64.add (local.get $i) (i64.const 2))) (local.get $page)) (i32.const 65))
        (local.set $page (i64.add (local.get $page) (i64.const 4096)))
        (br_if $touch (i64.lt_u (local.get $page) (i64.const ${FLOOD_BLOCK_BYTES}))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $next (i64.lt_u (local.get $i) (i64.const ${FLOOD_BLOCKS}))))
    (i32.const 0))

  ;; The same flood without writing: answers the OR of every handle alloc returned.
  (func (export "alloc_refused") (result i32) (local $i i64) (local $seen i64)
    (loop $next
      (local.set $seen (i64.or (local.get $seen) (call $alloc (i64.const ${FLOOD_BLOCK_BYTES}))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $next (i64.lt_u (local.get $i) (i64.const ${FLOOD_BLOCKS}))))
    (call $answer_u64 (local.get $seen)))

  ;; One refused alloc, then a read of the block it would have been, freed to make room again.
  (func (export "probe_refused") (result i32) (local $read i64)
    (drop (call $alloc (i64.const ${FLOOD_BLOCK_BYTES})))
    (local.set $read (i64.extend_i32_u (call $load_u8 (call $handle (i64.const 2)))))
    (call $free (call $handle (i64.const 2)))
    (call $answer_u64 (local.get $read)))

  ;; Allocates blocks of (first input byte) x 64 KiB until one is refused (at most 500), freeing
  ;; each one at once when the second input byte is 1; answers how many it got.
  (func (export "alloc_until_refused") (result i32) (local $size i64) (local $n i64) (local $h i64)
    (local.set $size (i64.mul (i64.extend_i32_u (call $input_load_u8 (i64.const 0))) (i64.const 65536)))
    (block $refused (loop $next
      (local.set $h (call $alloc (local.get $size)))
      (br_if $refused (i64.eqz (local.get $h)))
      (if (i32.eq (call $input_load_u8 (i64.const 1)) (i32.const 1)) (then (call $free (local.get $h))))
      (local.set $n (i64.add (local.get $n) (i64.const 1)))
      (br_if $refused (i64.ge_u (local.get $n) (i64.const 500)))
      (br $next)))
    (call $answer_u64 (local.get $n)))

  (func (export "alloc_loop") (result i32) (loop $again (drop (call $alloc (i64.const 1))) (br $again)) (i32.const 0))
  (func (export "var_set_loop") (result i32) (local $k i64)
    (local.set $k (call $key))
    (loop $again (call $var_set (local.get $k) (local.get $k)) (br $again)) (i32.const 0))
  (func (export "config_get_loop") (result i32)
    (loop $again (drop (call $config_get (call $key))) (br $again)) (i32.const 0))
  (func (export "log_loop") (result i32) (local $m i64)
    (loop $again (call $log_error (call $key)) (br $again)) (i32.const 0))

  ;; Frees handles the plugin never got (far, negative, zero, not yet allocated) and one block
  ;; twice, then echoes.
  (func (export "free_forged") (result i32) (local $h i64)
    (call $free (call $handle (i64.const 32767)))
    (call $free (i64.const -1))
    (call $free (i64.const 0))
    (call $free (call $handle (i64.const 5)))
    (local.set $h (call $alloc (i64.const 16)))
    (call $free (local.get $h))
    (call $free (local.get $h))
    (call $answer (call $copy_input)))

  (func (export "store_u64_past_end") (result i32) (local $h i64)
    (local.set $h (call $alloc (i64.const 8)))
    (call $store_u64 (i64.add (local.get $h) (i64.const 4)) (i64.const -1))
    (call $answer (local.get $h)))
  ;; output_set of a real block with a negative, then a huge, length: Extism reads it unsigned.
  (func (export "output_negative_length") (result i32)
    (call $output_set (call $alloc (i64.const 16)) (i64.const -1))
    (i32.const 0))
  (func (export "output_huge_length") (result i32)
    (call $output_set (call $alloc (i64.const 16)) (i64.const 0x7fffffffffffffff))
    (i32.const 0))
  (func (export "store_u8_before_start") (result i32) (local $h i64)
    (drop (call $alloc (i64.const 8)))
    (local.set $h (call $alloc (i64.const 8)))
    (call $store_u8 (i64.sub (local.get $h) (i64.const 1)) (i32.const 65))
    (call $answer (local.get $h)))

  ;; 50 vars whose keys are 4 MiB each and whose values are empty (Extism counted only values).
  (func (export "var_huge_keys") (result i32) (local $key i64) (local $i i32) (local $empty i64)
    (local.set $key (call $alloc (i64.const ${4 * MiB})))
    (local.set $empty (call $alloc (i64.const 0)))
    (loop $next
      (call $store_u8 (local.get $key) (local.get $i))
      (call $var_set (local.get $key) (local.get $empty))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 50))))
    (i32.const 0))
  (func (export "var_huge_value") (result i32)
    (call $var_set (call $key) (call $alloc (i64.const ${2 * MiB})))
    (i32.const 0))
  (func (export "var_put") (result i32) (call $var_set (call $key) (call $copy_input)) (i32.const 0))
  (func (export "var_fetch") (result i32) (call $answer (call $var_get (call $key))))
  (func (export "config_fetch") (result i32) (call $answer_u64 (call $config_get (call $key))))

  ;; Logs the input once at each level.
  (func (export "log_levels") (result i32)
    (call $log_trace (call $copy_input))
    (call $log_debug (call $copy_input))
    (call $log_info (call $copy_input))
    (call $log_warn (call $copy_input))
    (call $log_error (call $copy_input))
    (i32.const 0))
  ;; Logs the input with log_error 1000 times.
  (func (export "log_flood") (result i32) (local $i i32)
    (loop $next
      (call $log_error (call $copy_input))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 1000))))
    (i32.const 0))
  ;; One 8 MiB message of 8-byte lines "aaaaaaa\\n".
  (func (export "log_8mib") (result i32) (local $h i64) (local $at i64)
    (local.set $h (call $alloc (i64.const ${8 * MiB})))
    (loop $fill
      (call $store_u64 (i64.add (local.get $h) (local.get $at)) (i64.const 0x0a61616161616161))
      (local.set $at (i64.add (local.get $at) (i64.const 8)))
      (br_if $fill (i64.lt_u (local.get $at) (i64.const ${8 * MiB}))))
    (call $log_error (local.get $h))
    (i32.const 0))
)`;
