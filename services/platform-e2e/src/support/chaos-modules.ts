// WAT modules of the chaos suite: the inputs that once took the executor down, and the variants an
// attacker tries next. Each is published through the gateway like any plugin.
import type pg from 'pg';
import wabtInit from 'wabt';
import {
  FILL,
  localsAcrossIfs,
  localsInLoops,
  LOOP,
  MiB,
  nestedBlocks,
  repeated,
  v128Locals,
} from './module-bytes.js';

/** Looks like a GitHub token: the log redaction must replace it. */
export const FAKE_TOKEN = `ghp_${'Z9y8X7w6V5u4'.repeat(3)}`;
/** A token, terminal escapes and a newline forging a second log line. */
const LOG_MESSAGE = `leak ${FAKE_TOKEN} \u001b[2J\u001b[31mred\u001b[0m\n{"level":"fatal","msg":"forged by a plugin"}`;

/** `bytes` (or the UTF-8 of a text) as a WAT string literal's escapes. */
const hexBytes = (bytes: Buffer | string) =>
  [...Buffer.from(bytes)].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');

/**
 * WAT that allocates an Extism block of `length` bytes into local `$h` and copies the module's
 * memory from offset 0 into it (local `$i` counts; both must be declared, `$h` i64, `$i` i32).
 */
const copyToBlock = (length: number) => `(local.set $h (call $alloc (i64.const ${length})))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (i32.const ${length})))
      (call $store_u8 (i64.add (local.get $h) (i64.extend_i32_u (local.get $i))) (i32.load8_u (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))`;

const KERNEL = `
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "var_set" (func $var_set (param i64 i64)))
  (import "extism:host/env" "log_error" (func $log_error (param i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))`;

const tableOf = (declaration: string) => `(module
  ${declaration}
  (memory (export "memory") 1)
  (func (export "run") (result i32) (i32.const 0)))`;

const exporting = (name: string) => `(module
  (memory (export "memory") 1)
  (func (export "run") (result i32) (i32.const 0))
  (func (export "${name}")))`;

/** Refused at verification: the code each must be reported with. */
export const REJECTED: readonly { name: string; module: () => Promise<Buffer>; code: string }[] = [
  // The input of the issue: 60 bytes that made V8 abort the process allocating the table.
  ...[
    { name: 'table-10m', wat: tableOf('(table 10000000 funcref)'), code: 'module_table_too_large' },
    {
      name: 'second-table-100001',
      wat: tableOf('(table 1 funcref) (table 100001 funcref)'),
      code: 'module_table_too_large',
    },
    {
      name: 'table-max-10m',
      wat: tableOf('(table 1 10000000 funcref)'),
      code: 'module_table_too_large',
    },
    {
      name: 'five-tables',
      wat: tableOf(
        '(table 1 funcref) (table 1 funcref) (table 1 funcref) (table 1 funcref) (table 1 funcref)',
      ),
      code: 'module_too_many_tables',
    },
    // Extism runs these at instantiation, before any budget exists.
    { name: 'export-start', wat: exporting('_start'), code: 'module_export_reserved' },
    { name: 'export-initialize', wat: exporting('_initialize'), code: 'module_export_reserved' },
    { name: 'export-hs-init', wat: exporting('hs_init'), code: 'module_export_reserved' },
    {
      name: 'export-fuel-prefix',
      wat: exporting('__convergio_fuel'),
      code: 'module_export_reserved',
    },
  ].map(({ name, wat, code }) => ({ name, module: () => assemble(wat), code })),
  // Far under the 16 MiB module limit, these aborted the sandbox process at every load (metering
  // built objects per instruction), failed it with "Maximum call stack size exceeded", or made V8
  // need 1.3 GB to compile one function at its first call.
  ...[
    {
      name: 'fill-2mib',
      module: () => repeated(FILL, 2 * MiB, 300_000),
      code: 'module_function_too_large',
    },
    {
      name: 'loops-2mib',
      module: () => repeated(LOOP, 2 * MiB, 300_000),
      code: 'module_function_too_large',
    },
    {
      name: 'fill-1mib-one-function',
      module: () => repeated(FILL, MiB, MiB),
      code: 'module_function_too_large',
    },
    {
      name: 'fill-15mib',
      module: () => repeated(FILL, 15.5 * MiB, 70_000),
      code: 'module_code_too_large',
    },
    {
      name: 'nested-blocks-2.5m',
      module: () => nestedBlocks(2_500_000),
      code: 'module_nesting_too_deep',
    },
    { name: 'v128-locals-49000', module: () => v128Locals(49_000), code: 'module_too_many_locals' },
    // 30 KB within every other bound: 3.5 GB to compile, past the sandbox ceiling at each call.
    {
      name: 'locals-10000-in-loops-10000',
      module: () => localsInLoops(10_000, 10_000),
      code: 'module_function_too_complex',
    },
    // 45 KB, no loop: 2.2 GB and 10 s to compile on the first call, past its wall time.
    {
      name: 'locals-10000-across-ifs-9000',
      module: () => localsAcrossIfs(10_000, 9_000),
      code: 'module_function_too_complex',
    },
  ].map(({ name, module, code }) => ({ name, module: () => Promise.resolve(module()), code })),
];

/**
 * Calls fs_read with `bytes` as its input block (copied from a data segment) and returns its
 * result as output: bytes no text encoding produces reach the host call as they are.
 */
export const fsReadWith = (bytes: Buffer) => `(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/user" "fs_read" (func $fs_read (param i64) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "${hexBytes(bytes)}")
  (func (export "run") (result i32) (local $h i64) (local $i i32) (local $out i64)
    ${copyToBlock(bytes.length)}
    (local.set $out (call $fs_read (local.get $h)))
    (call $output_set (local.get $out) (call $length (local.get $out)))
    (i32.const 0)))`;

/** Sets its output to a block with a negative length. */
export const NEGATIVE_OUTPUT = `(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (call $output_set (call $alloc (i64.const 16)) (i64.const -1))
    (i32.const 0)))`;

// 10 × 10 × 10 = 1000 bulk instructions of 64 MiB without a single loop or recursion: before bulk
// metering only function entries of looping code were charged, so this ran for free.
const loopFree = (op: string) => `(module
  (memory (export "memory") 1024)
  (func $one ${op})
  (func $ten ${'(call $one) '.repeat(10)})
  (func $hundred ${'(call $ten) '.repeat(10)})
  (func (export "run") (result i32) ${'(call $hundred) '.repeat(10)} (i32.const 0)))`;

/** Every alloc is refused (64 MiB against a 64 MiB cap), then written where it would have been. */
const ALLOC_STORE_FLOOD = `
  (func (export "run") (result i32) (local $i i64) (local $page i64)
    (loop $next
      (drop (call $alloc (i64.const ${64 * MiB})))
      (local.set $page (i64.const 0))
      (loop $touch
        (call $store_u8 (i64.add (i64.shl (i64.add (local.get $i) (i64.const 2)) (i64.const 48)) (local.get $page)) (i32.const 65))
        (local.set $page (i64.add (local.get $page) (i64.const 4096)))
        (br_if $touch (i64.lt_u (local.get $page) (i64.const ${64 * MiB}))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $next (i64.lt_u (local.get $i) (i64.const 32))))
    (i32.const 0))`;

// $message copies LOG_MESSAGE from the data segment into a fresh block (log_* frees it).
const LOGGER = `
  (data (i32.const 0) "${hexBytes(LOG_MESSAGE)}")
  (func $message (result i64) (local $h i64) (local $i i32)
    ${copyToBlock(Buffer.byteLength(LOG_MESSAGE))}
    (local.get $h))`;

const kernel = (body: string) => `(module
  ${KERNEL}
  (memory (export "memory") 1)
  ${body})`;

/**
 * Published, approved and called (export `run`). Each call must end with this error (`a|b`: either): HTTP status,
 * gateway code and the sandbox's reason (also the reason of the plugin.crashed record). Attacks
 * that the sandbox lets finish harmlessly end with `unreachable`, so that every call is recorded
 * and the suite can check whom it was charged to.
 */
export const CRASHING: readonly {
  name: string;
  wat: string;
  fuel?: number;
  /** The plugin's own linear-memory cap (and Extism blocks'), below the operator's. */
  memoryPages?: number;
  reason: string;
}[] = [
  {
    // 12 KB of output, 6,000 arrays deep: JSON.stringify recursed past the stack where the
    // executor sent its reply, and the executor process ended.
    name: 'output-nested-6000',
    wat: kernel(`
      (func (export "run") (result i32) (local $h i64) (local $i i64)
        (local.set $h (call $alloc (i64.const 12000)))
        (loop $fill
          (call $store_u64 (i64.add (local.get $h) (local.get $i)) (i64.const 0x5b5b5b5b5b5b5b5b))
          (call $store_u64
            (i64.add (local.get $h) (i64.add (local.get $i) (i64.const 6000)))
            (i64.const 0x5d5d5d5d5d5d5d5d))
          (local.set $i (i64.add (local.get $i) (i64.const 8)))
          (br_if $fill (i64.lt_u (local.get $i) (i64.const 6000))))
        (call $output_set (local.get $h) (i64.const 12000))
        (i32.const 0))`),
    reason: 'output_too_deep',
  },
  {
    // Aborted the process on its first call: now grow returns -1 past the 100,000-entry cap, and
    // each attempt is charged as the largest grow that could succeed (more than this budget).
    name: 'table-grow-loop',
    wat: `(module (table $t 1 funcref) (memory (export "memory") 1)
      (func (export "run") (result i32)
        (loop $again (drop (table.grow $t (ref.null func) (i32.const 1000000))) (br $again))
        (i32.const 0)))`,
    fuel: 100_000_000,
    reason: 'cpu_limit',
  },
  {
    // One element at a time: V8 copies the table on each grow, and each grow is charged for
    // every element the table holds. Traps on purpose if it ever reaches 50,000 entries.
    name: 'table-grow-one-loop',
    wat: `(module (table $t 1 funcref) (memory (export "memory") 1)
      (func (export "run") (result i32)
        (loop $again (drop (table.grow $t (ref.null func) (i32.const 1)))
          (br_if $again (i32.lt_u (table.size $t) (i32.const 50000))))
        (unreachable)))`,
    fuel: 100_000_000,
    reason: 'cpu_limit',
  },
  {
    // One grow by 2^32-1 entries: must return -1 (then traps on purpose) without allocating.
    name: 'table-grow-huge',
    wat: `(module (table $t 1 funcref) (memory (export "memory") 1)
      (func (export "run") (result i32)
        (if (i32.ne (table.grow $t (ref.null func) (i32.const -1)) (i32.const -1))
          (then (return (i32.const 0))))
        (unreachable)))`,
    reason: 'trap',
  },
  {
    // Page by page towards the cap. Each grow costs V8 in proportion to the memory's size (a
    // full garbage collection per grow past 64 MiB), and is charged so: the fuel stops it at
    // about 155 pages, long before the cap or the wall time.
    name: 'memory-grow-loop',
    wat: `(module (memory (export "memory") 1)
      (func (export "run") (result i32)
        (loop $again (drop (memory.grow (i32.const 1))) (br $again))
        (i32.const 0)))`,
    fuel: 100_000_000,
    memoryPages: 1024,
    reason: 'cpu_limit',
  },
  {
    // memory.grow(-1) in a loop: each probe is charged as the largest grow that could succeed.
    name: 'memory-grow-probe-loop',
    wat: `(module (memory (export "memory") 1)
      (func (export "run") (result i32)
        (loop $again (drop (memory.grow (i32.const -1))) (br $again))
        (i32.const 0)))`,
    fuel: 100_000_000,
    reason: 'cpu_limit',
  },
  {
    name: 'fill-64mib-x1000-fuel-10',
    wat: loopFree('(memory.fill (i32.const 0) (i32.const 0) (i32.const 67108864))'),
    fuel: 10,
    reason: 'cpu_limit',
  },
  {
    name: 'copy-64mib-x1000-fuel-10',
    wat: loopFree('(memory.copy (i32.const 0) (i32.const 1) (i32.const 67108863))'),
    fuel: 10,
    reason: 'cpu_limit',
  },
  {
    // The cap of the issue: 64 MiB.
    name: 'kernel-alloc-store-flood',
    wat: kernel(ALLOC_STORE_FLOOD),
    memoryPages: 1024,
    reason: 'memory_limit',
  },
  {
    // A million 1-byte allocs: each alloc is a host call.
    name: 'kernel-alloc-1-byte-flood',
    wat: kernel(`(func (export "run") (result i32)
      (loop $again (drop (call $alloc (i64.const 1))) (br $again)) (i32.const 0))`),
    reason: 'host_call_limit',
  },
  {
    // 4 MiB keys with empty values (Extism counted values only).
    name: 'kernel-var-huge-keys',
    wat: kernel(`(func (export "run") (result i32) (local $key i64) (local $empty i64) (local $i i32)
      (local.set $key (call $alloc (i64.const ${4 * MiB})))
      (local.set $empty (call $alloc (i64.const 0)))
      (loop $next
        (call $store_u8 (local.get $key) (local.get $i))
        (call $var_set (local.get $key) (local.get $empty))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $next (i32.lt_u (local.get $i) (i32.const 50))))
      (i32.const 0))`),
    reason: 'memory_limit',
  },
  {
    name: 'kernel-log-flood',
    wat: kernel(`${LOGGER}
      (func (export "run") (result i32) (local $n i32)
        (loop $next
          (call $log_error (call $message))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (br_if $next (i32.lt_u (local.get $n) (i32.const 1000))))
        (unreachable))`),
    reason: 'trap',
  },
  {
    // One 8 MiB message: 64 bytes of 8-byte lines, then NULs (writing 8 MiB through the kernel
    // would take the wall time).
    name: 'kernel-log-8mib',
    wat: kernel(`(func (export "run") (result i32) (local $h i64) (local $at i64)
      (local.set $h (call $alloc (i64.const ${8 * MiB})))
      (loop $fill
        (call $store_u64 (i64.add (local.get $h) (local.get $at)) (i64.const 0x0a61616161616161))
        (local.set $at (i64.add (local.get $at) (i64.const 8)))
        (br_if $fill (i64.lt_u (local.get $at) (i64.const 64))))
      (call $log_error (local.get $h))
      (unreachable))`),
    // The kernel decodes only the head the log cap keeps: one capped line, then the trap.
    reason: 'trap',
  },
];

/**
 * Grows its linear memory to the cap and fills it, fills Extism blocks up to their cap, then
 * keeps running: its process must stay under the memory ceiling until the wall time stops it.
 * Its `ping` export answers at once (proves the plugin still serves).
 */
export const MEMORY_HOG = `(module
  ${KERNEL}
  (memory (export "memory") 1)
  (func (export "ping") (result i32) (i32.const 0))
  (func (export "run") (result i32) (local $h i64) (local $at i64) (local $delta i32)
    ;; The largest grows first: page by page would take seconds (V8 copies on each grow).
    (local.set $delta (i32.const 32768))
    (block $full (loop $grow
      (if (i32.eq (memory.grow (local.get $delta)) (i32.const -1))
        (then (local.set $delta (i32.shr_u (local.get $delta) (i32.const 1)))))
      (br_if $grow (local.get $delta))))
    (memory.fill (i32.const 0) (i32.const 1) (i32.mul (memory.size) (i32.const 65536)))
    (block $refused (loop $blocks
      (local.set $h (call $alloc (i64.const ${4 * MiB})))
      (br_if $refused (i64.eqz (local.get $h)))
      (local.set $at (i64.const 0))
      (loop $touch
        (call $store_u8 (i64.add (local.get $h) (local.get $at)) (i32.const 1))
        (local.set $at (i64.add (local.get $at) (i64.const 4096)))
        (br_if $touch (i64.lt_u (local.get $at) (i64.const ${4 * MiB}))))
      (br $blocks)))
    (loop $forever (br $forever))
    (i32.const 0)))`;

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabt: Wabt | undefined;

/** Denied host calls a denial flood makes per call: most of its 10,000 (EXECUTOR_MAX_HOST_CALLS). */
export const FS_READS = 9_000;
const SHADOW = '{"path":"/etc/shadow"}';

/**
 * A module asking no permission that writes its input block once, then asks fs_read for
 * /etc/shadow `reads` times a call: each refused and recorded as a permission.denied.
 */
export const denialFlood = (reads: number) => `(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/user" "fs_read" (func $fs_read (param i64) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "${hexBytes(SHADOW)}")
  (func (export "run") (result i32) (local $h i64) (local $i i32)
    ${copyToBlock(SHADOW.length)}
    (local.set $i (i32.const 0))
    (loop $again
      (drop (call $fs_read (local.get $h)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const ${reads}))))
    (i32.const 0)))`;

/** The event telemetryFlood emits; its `k0` value ends in three digits the module rewrites. */
const TELEMETRY_EVENT = `{"name":"flood","value":7,"attributes":{"k0":"${'v'.repeat(200)}000","k1":"${'w'.repeat(200)}"}}`;

/**
 * Emits `events` telemetry events in one call, each with a `k0` attribute never seen before (the
 * attack round's input: ever-new, wide attribute sets, past the per-plugin series cap).
 */
export const telemetryFlood = (events: number) => {
  const digits = TELEMETRY_EVENT.indexOf('000"');
  return `(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/user" "telemetry_emit" (func $emit (param i64) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "${hexBytes(TELEMETRY_EVENT)}")
  (func $digit (param $h i64) (param $at i32) (param $n i32)
    (call $store_u8 (i64.add (local.get $h) (i64.extend_i32_u (local.get $at)))
      (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10)))))
  (func (export "run") (result i32) (local $h i64) (local $i i32)
    ${copyToBlock(TELEMETRY_EVENT.length)}
    (local.set $i (i32.const 0))
    (loop $again
      (call $digit (local.get $h) (i32.const ${digits}) (i32.div_u (local.get $i) (i32.const 100)))
      (call $digit (local.get $h) (i32.const ${digits + 1}) (i32.div_u (local.get $i) (i32.const 10)))
      (call $digit (local.get $h) (i32.const ${digits + 2}) (local.get $i))
      (drop (call $emit (local.get $h)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const ${events}))))
    (i32.const 0)))`;
};

/**
 * The denials of `pluginId` the audit log accounts for (each record on its own, or the count a
 * folded record's reason gives), and how many of its records name another plugin.
 */
export async function accountedDenials(
  db: pg.Client,
  pluginId: string,
): Promise<{ denied: number; others: number }> {
  const { rows } = await db.query<{ n: string; others: string }>(
    `SELECT coalesce(sum(coalesce(substring(data->>'reason' from '^(\\d+) denials of .* stands for them all')::int, 1)), 0) AS n,
            count(*) FILTER (WHERE plugin_id IS DISTINCT FROM $1) AS others
       FROM audit.events WHERE type = 'permission.denied' AND data->>'plugin_id' = $1`,
    [pluginId],
  );
  return { denied: Number(rows[0].n), others: Number(rows[0].others) };
}

/** Assembles WAT text into module bytes. */
export async function assemble(source: string): Promise<Buffer> {
  wabt ??= await wabtInit();
  const parsed = wabt.parseWat('chaos.wat', source, { bulk_memory: true, reference_types: true });
  try {
    return Buffer.from(parsed.toBinary({}).buffer);
  } finally {
    parsed.destroy();
  }
}
