// What the sandbox compiles and how it reads a plugin's bytes, end to end on a real platform
// (NATS, PostgreSQL, every service its own process), next to a bystander plugin called
// continuously. Each was an attack on an approved plugin needing no permission:
// - modules far under the 16 MiB code limit whose metering (memory.fill with local operands,
//   empty loops) aborted the sandbox process at every load, or whose one function failed the
//   load with "Maximum call stack size exceeded";
// - 2.5 million nested blocks in one function: V8 needed 1.3 GB to compile it at its first call;
// - 49,000 v128 locals in one function;
// - invalid UTF-8 in a denial target: `/etc/a\xff` and `/etc/a\xfe` recorded alike (U+FFFD);
// - output_set with a negative length: a RangeError reported as runtime_failure.
import { expectEventually, startPlatform, type PlatformInfo } from '@convergio/testing';
import { assemble } from './support/chaos-modules.js';
import { callBystander, deployBystander, rssKb, type BystanderCall } from './support/bystander.js';
import {
  api,
  bearer,
  createKey,
  runToolManifest,
  submit,
  versionState,
} from './support/fixtures.js';

const leb = (value: number) => {
  const out: number[] = [];
  let n = value;
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const str = (s: string) => [...leb(Buffer.byteLength(s)), ...Buffer.from(s)];
const section = (id: number, payload: Buffer) =>
  Buffer.concat([Buffer.from([id, ...leb(payload.length)]), payload]);
const vec = (items: Buffer[]) => Buffer.concat([Buffer.from(leb(items.length)), ...items]);

/** A module of functions `(param i32) (result i32)` with these bodies, exporting `run` (function 0). */
function moduleOf(bodies: Buffer[]): Buffer {
  const type = Buffer.from([0x60, 1, 0x7f, 1, 0x7f]);
  return Buffer.concat([
    Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]),
    section(1, vec([type])),
    section(3, vec(bodies.map(() => Buffer.from([0])))),
    section(5, vec([Buffer.from([0, 1])])),
    section(7, vec([Buffer.from([...str('memory'), 2, 0]), Buffer.from([...str('run'), 0, 0])])),
    section(10, vec(bodies.map((b) => Buffer.concat([Buffer.from(leb(b.length)), b])))),
  ]);
}

/** A body: `locals`, `count` times `unit`, then `i32.const 0 end`. */
function body(unit: number[], count: number, locals: number[] = [0]): Buffer {
  const out = Buffer.alloc(locals.length + count * unit.length + 3);
  out.set(locals, 0);
  for (let i = 0; i < count; i++) out.set(unit, locals.length + i * unit.length);
  out.set([0x41, 0, 0x0b], out.length - 3);
  return out;
}

/** `totalBytes` of `unit` in functions of `perFunction` bytes. */
function repeated(unit: number[], totalBytes: number, perFunction: number): Buffer {
  const bodies: Buffer[] = [];
  for (let size = 0; size < totalBytes; size += perFunction)
    bodies.push(body(unit, Math.floor(Math.min(perFunction, totalBytes - size) / unit.length)));
  return moduleOf(bodies);
}

function nestedBlocks(depth: number): Buffer {
  const out = Buffer.alloc(1 + depth * 3 + 3);
  for (let i = 0; i < depth; i++) out.set([0x02, 0x40], 1 + 2 * i);
  out.fill(0x0b, 1 + 2 * depth, 1 + 3 * depth);
  out.set([0x41, 0, 0x0b], 1 + 3 * depth);
  return moduleOf([out]);
}

const MiB = 1024 * 1024;
const FILL = [0x20, 0, 0x20, 0, 0x20, 0, 0xfc, 0x0b, 0x00]; // local.get 0 ×3, memory.fill
const LOOP = [0x03, 0x40, 0x0b]; // loop end

const REFUSED = [
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
  {
    name: 'v128-locals-49000',
    module: () => moduleOf([body([], 0, [1, ...leb(49_000), 0x7b])]),
    code: 'module_too_many_locals',
  },
];

/** Calls fs_read with `bytes` as its input block (copied from a data segment), returns its result. */
const fsReadWith = (bytes: Buffer) => `(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/user" "fs_read" (func $fs_read (param i64) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "${[...bytes].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('')}")
  (func (export "run") (result i32) (local $h i64) (local $i i32) (local $out i64)
    (local.set $h (call $alloc (i64.const ${bytes.length})))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (i32.const ${bytes.length})))
      (call $store_u8 (i64.add (local.get $h) (i64.extend_i32_u (local.get $i))) (i32.load8_u (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.set $out (call $fs_read (local.get $h)))
    (call $output_set (local.get $out) (call $length (local.get $out)))
    (i32.const 0)))`;

const NEGATIVE_OUTPUT = `(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (call $output_set (call $alloc (i64.const 16)) (i64.const -1))
    (i32.const 0)))`;

interface AuditEvent {
  type: string;
  plugin_id: string | null;
  data: { reason?: string; target?: string };
}

describe('module compile limits, lossless host-call input, typed kernel faults', () => {
  let platform: Awaited<ReturnType<typeof startPlatform>>;
  let info: PlatformInfo;
  let executorPid: number;
  let publisher: string;
  let invoker: string;
  let auditor: string;
  let bystander: string;
  let stopped = false;
  const calls: BystanderCall[] = [];
  const health: number[] = [];
  const rss: number[] = [];
  let monitors: Promise<unknown>[] = [];
  const slow = { timeoutMs: 60_000, intervalMs: 250 };

  beforeAll(async () => {
    platform = await startPlatform({
      EXECUTOR_FUEL: String(Number.MAX_SAFE_INTEGER),
      NO_COLOR: '1',
    });
    info = platform.info;
    process.env.CONVERGIO_E2E_PLATFORM = JSON.stringify(info);
    executorPid = platform.pid('executor');
    [publisher, invoker, auditor] = await Promise.all([
      createKey('publisher'),
      createKey('invoker'),
      createKey('auditor'),
    ]);
    bystander = await deployBystander(publisher);
    const running = () => !stopped;
    monitors = [
      callBystander(bystander, invoker, running, calls),
      (async () => {
        while (running()) {
          health.push(
            await fetch(`${info.serviceUrls.executor}/healthz`, {
              signal: AbortSignal.timeout(10_000),
            }).then(
              (r) => r.status,
              () => 0,
            ),
          );
          try {
            rss.push(rssKb(executorPid));
          } catch {
            rss.push(-1);
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      })(),
    ];
  }, 120_000);

  afterAll(async () => {
    stopped = true;
    await Promise.all(monitors);
    await platform?.stop();
  }, 60_000);

  const audit = async (id: string): Promise<AuditEvent[]> =>
    (
      (
        await api()
          .get('/v1/audit')
          .query({ plugin_id: id, limit: 500 })
          .set(bearer(auditor))
          .expect(200)
      ).body as { events: AuditEvent[] }
    ).events;

  async function publish(name: string, module: Buffer): Promise<string> {
    const manifest = runToolManifest(name, module);
    await submit(publisher, manifest, module).expect(202);
    return manifest.id;
  }

  async function loaded(id: string) {
    await expectEventually(
      async () =>
        expect(await versionState(publisher, id)).toMatchObject({
          status: 'approved',
          loaded: true,
        }),
      slow,
    );
  }

  const invoke = (id: string) =>
    api()
      .post(`/v1/plugins/${id}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'run', input: {} });

  it.each(REFUSED)(
    '$name: refused at submission with $code, never loaded',
    async ({ name, module, code }) => {
      const id = await publish(name, module());
      const state = await expectEventually(async () => {
        const s = await versionState(publisher, id);
        expect(s.status).toBe('rejected');
        return s;
      }, slow);
      expect(state.findings).toEqual(
        expect.arrayContaining([expect.objectContaining({ code, message: expect.any(String) })]),
      );
      const types = (await audit(id)).map((e) => e.type);
      expect(types).toContain('plugin.rejected');
      expect(types).not.toContain('plugin.loaded');
      expect(types).not.toContain('plugin.crashed');
    },
    120_000,
  );

  it('loads and runs a module at the limits: 9 MiB of memory.fill, 32 MiB once metered', async () => {
    // 9.2 MiB in functions of 70 kB (238 kB metered each): just under both metered limits.
    const id = await publish('fill-at-limits', repeated(FILL, 9.2 * MiB, 70_000));
    await loaded(id);
    const res = await invoke(id);
    expect(res.status).toBe(200);
    const types = (await audit(id)).map((e) => e.type);
    expect(types).not.toContain('plugin.crashed');
  }, 180_000);

  it('records denial targets with invalid UTF-8 loss-free: each input its own record', async () => {
    const target = (bytes: number[]) =>
      Buffer.concat([Buffer.from('{"path":"/etc/a'), Buffer.from(bytes), Buffer.from('"}')]);
    const variants = [[0xff], [0xfe], [0xc0, 0xae]];
    const recorded: string[] = [];
    for (const bytes of variants) {
      const id = await publish('utf8-denial', await assemble(fsReadWith(target(bytes))));
      await loaded(id);
      const res = await invoke(id);
      expect(res.status).toBe(200);
      expect(res.body.output).toMatchObject({ error: { code: 'permission_denied' } });
      const denied = await expectEventually(async () => {
        const events = (await audit(id)).filter((e) => e.type === 'permission.denied');
        expect(events).toHaveLength(1);
        return events[0];
      }, slow);
      recorded.push(String(denied.data.target));
    }
    // Each invalid byte kept as U+DC00 + byte, where U+FFFD made them one; the audit log stores a
    // lone surrogate as its escape (escapeAuditText: loss-free, `\` itself is doubled).
    expect(recorded).toEqual(['/etc/a\\udcff', '/etc/a\\udcfe', '/etc/a\\udcc0\\udcae']);
  }, 180_000);

  it('ends output_set with a negative length as a trap of the plugin, not runtime_failure', async () => {
    const id = await publish('negative-output', await assemble(NEGATIVE_OUTPUT));
    await loaded(id);
    const res = await invoke(id);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({
      code: 'plugin_failed',
      details: [expect.objectContaining({ code: 'trap' })],
    });
    const crashed = await expectEventually(async () => {
      const events = (await audit(id)).filter((e) => e.type === 'plugin.crashed');
      expect(events).toHaveLength(1);
      return events[0];
    }, slow);
    expect(crashed).toMatchObject({ plugin_id: id, data: { reason: 'trap' } });
  }, 120_000);

  it('kept the executor and the bystander up', () => {
    stopped = true;
    expect(rss).not.toContain(-1);
    expect(calls.length).toBeGreaterThan(10);
    expect(calls.filter((c) => !c.ok)).toEqual([]);
    expect(health.filter((h) => h !== 200)).toEqual([]);
  });
});
