import { createHash } from 'node:crypto';
import wabtInit from 'wabt';
import { SandboxRuntime, type LoadedSandboxPlugin } from '@convergio/sandbox';
import { HOST_FUNCTION_NAMES } from '../host-functions.js';
import { createMainThreadOps } from '../main-thread-ops.js';
import { testPolicy } from '../net/testing/fake-host-env.js';
import type { LogPayload } from './plugin-log.js';

// The Extism kernel's log_* imports, called by a hostile plugin in the real sandbox: they must
// go through the `log` host function (rate limit, size cap, escaping, redaction), never straight
// to the operator's log.
const MiB = 1024 * 1024;
const RATE = 5;
const MAX_LOG_BYTES = 1024;
const TOKEN = 'ghp_0123456789abcdefghijklmnopqrstuvwxyz';

const PLUGIN_WAT = `(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "log_error" (func $log_error (param i64)))
  (memory (export "memory") 1)
  (func $copy_input (result i64) (local $len i64) (local $off i64) (local $i i64)
    (local.set $len (call $input_length))
    (local.set $off (call $alloc (local.get $len)))
    (block $done (loop $next
      (br_if $done (i64.ge_u (local.get $i) (local.get $len)))
      (call $store_u8 (i64.add (local.get $off) (local.get $i)) (call $input_load_u8 (local.get $i)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))
    (local.get $off))
  (func (export "log_once") (result i32) (call $log_error (call $copy_input)) (i32.const 0))
  (func (export "log_flood") (result i32) (local $i i32)
    (loop $next
      (call $log_error (call $copy_input))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 1000))))
    (i32.const 0))
  (func (export "log_8mib") (result i32) (local $h i64) (local $at i64)
    (local.set $h (call $alloc (i64.const ${8 * MiB})))
    (loop $fill
      (call $store_u64 (i64.add (local.get $h) (local.get $at)) (i64.const 0x0a61616161616161))
      (local.set $at (i64.add (local.get $at) (i64.const 8)))
      (br_if $fill (i64.lt_u (local.get $at) (i64.const ${8 * MiB}))))
    (call $log_error (local.get $h))
    (i32.const 0)))`;

describe('kernel log_* imports of a hostile plugin, in the real sandbox', () => {
  let bytes: Uint8Array;
  let sha256: string;
  let runtime: SandboxRuntime;
  let plugin: LoadedSandboxPlugin;
  // What reaches the operator: log events (one structured line each) and raw worker output.
  let lines: (LogPayload & { plugin: string })[];
  let operatorLines: string[];

  beforeAll(async () => {
    const parsed = (await wabtInit()).parseWat('kernel-log.wat', PLUGIN_WAT);
    bytes = new Uint8Array(parsed.toBinary({}).buffer);
    parsed.destroy();
    sha256 = createHash('sha256').update(bytes).digest('hex');
  });

  beforeEach(async () => {
    lines = [];
    operatorLines = [];
    const record = (message: string) => void operatorLines.push(message);
    runtime = new SandboxRuntime({
      hostFunctionsModule: new URL('../host-functions.ts', import.meta.url),
      hostFunctions: HOST_FUNCTION_NAMES,
      mainThreadOps: createMainThreadOps(),
      policy: testPolicy({ logLinesPerSecond: RATE, maxLogBytes: MAX_LOG_BYTES }),
      defaults: {
        wallTimeMs: 20_000,
        fuel: 1e10,
        maxMemoryPages: 256,
        maxHostCalls: 10_000,
        maxOutputBytes: 1 << 20,
      },
      logger: { warn: record, error: record },
      onLog: (plugin, payload) =>
        void lines.push({ ...(payload as LogPayload), plugin: plugin.id }),
    });
    plugin = await runtime.load(bytes, sha256, {
      identity: { id: 'hostile.logger', version: '1.0.0', trust: 'untrusted' },
      grants: {},
    });
  });

  afterEach(async () => {
    await plugin.close();
  });

  it('lets through at most the rate of a 1000-line flood, redacted and escaped, and nothing else', async () => {
    const message = `token=${TOKEN} \u001b[2J\u001b]0;owned\u0007 ok\n[ERROR] forged line`;
    await plugin.call('log_flood', new TextEncoder().encode(message));
    expect(operatorLines).toEqual([]);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(2 * RATE);
    for (const line of lines) {
      expect(line).toMatchObject({ plugin: 'hostile.logger', level: 'error' });
      expect(line.message).not.toContain(TOKEN);
      expect(line.message).toContain('[REDACTED]');
      expect(line.message).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    }
  });

  it('caps an 8 MiB message of 1M lines at maxLogBytes, as one line', async () => {
    await plugin.call('log_8mib', new Uint8Array(0));
    expect(operatorLines).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0].truncated).toBe(true);
    expect(Buffer.byteLength(lines[0].message)).toBeLessThanOrEqual(MAX_LOG_BYTES);
    expect(JSON.stringify(lines[0])).not.toContain('\n');
  });

  it('logs invalid UTF-8 with replacement characters', async () => {
    await plugin.call('log_once', Uint8Array.of(0x41, 0xff, 0xc3, 0x42));
    expect(lines).toMatchObject([{ message: 'A\uFFFD\uFFFDB' }]);
  });
});
