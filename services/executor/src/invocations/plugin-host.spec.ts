import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import wabtInit from 'wabt';
import type { ArtifactStore } from '@convergio/artifacts';
import { loadConfig } from '@convergio/config';
import { validateEventEnvelope } from '@convergio/contracts';
import { loadPlatformGrants } from '@convergio/runtime';
import type { LoadedSandboxPlugin } from '@convergio/sandbox';
import { RecordingBus } from '../recording-bus.spec-helper.js';
import { sandboxProcesses } from '../sandbox-processes.spec-helper.js';
import { aManifest, exampleModule, expectEventually, sha256Hex } from '@convergio/testing';
import { initTelemetry, renderMetrics } from '@convergio/observability';
import {
  ExecutorLimitsEnv,
  executorSettings,
  type ExecutorSettings,
} from '../config/executor.config.js';
import { PolicyGate } from '../versions/policy-gate.js';
import { CallMetrics } from '../metrics/call-metrics.js';
import type { RunnableRecord } from '../versions/version-record.js';
import { deniedEvent } from './denial-recorder.js';
import { PluginHost } from './plugin-host.js';
import { SecretAccess } from '../secrets/secret-access.js';
import { TelemetryMetrics } from '../metrics/telemetry-metrics.js';
import { PluginEvents } from '../lifecycle/plugin-events.js';

describe('PluginHost', () => {
  const module = exampleModule('greet.wasm');
  const sha = sha256Hex(module);
  // Modules by SHA-256; greet.wasm unless stored here.
  const stored = new Map<string, Uint8Array>();
  const artifacts = {
    get: (sha256: string) => Promise.resolve(new Uint8Array(stored.get(sha256) ?? module)),
  } as unknown as ArtifactStore;
  const bus = new RecordingBus();
  const published = bus.published;
  const version = (id: string, publisher = 'acme'): RunnableRecord => ({
    pluginId: id,
    version: '1.0.0',
    publisher,
    status: 'approved',
    approvedAt: new Date(),
    trust: 'untrusted',
    moduleSha256: sha,
    manifest: aManifest({ id }, module),
  });
  let host: PluginHost;

  /** A host with these settings (besides 4 slots, 2 per publisher). */
  function hostWith(
    env: Record<string, string> = {},
    telemetry = (settings: ExecutorSettings) => new TelemetryMetrics(settings),
  ): PluginHost {
    const settings = executorSettings(
      loadConfig(Type.Object(ExecutorLimitsEnv), {
        EXECUTOR_MAX_LOADED_PLUGINS: '4',
        EXECUTOR_MAX_LOADED_PER_PUBLISHER: '2',
        ...env,
      }),
      loadPlatformGrants({ pluginFilesDir: join(dir, 'plugin-files'), dataDirs: [dir] }),
    );
    return new PluginHost(
      artifacts,
      settings,
      bus.asOutbox(),
      new CallMetrics(),
      new PolicyGate(settings),
      new PluginEvents(bus.asBusClient()),
      new SecretAccess(bus.asBusClient()),
      telemetry(settings),
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'cvg-plugin-host-'));

  beforeEach(() => {
    published.splice(0);
    host = hostWith();
  });

  afterEach(() => host.onApplicationShutdown());

  it('announces every load as plugin.loaded', async () => {
    await host.load(version('acme.one'));
    expect(published).toEqual([
      {
        subject: 'plugin.loaded',
        data: expect.objectContaining({ plugin_id: 'acme.one', module_sha256: sha }),
      },
    ]);
  });

  const unloaded = () =>
    published
      .filter((e) => e.subject === 'plugin.unloaded')
      .map((e) => (e.data as { plugin_id: string; reason: string }).plugin_id);

  it('keeps at most EXECUTOR_MAX_LOADED_PLUGINS versions, unloading the least recently used', async () => {
    await host.load(version('acme.one'));
    await host.load(version('bob.two', 'bob'));
    await host.load(version('carol.four', 'carol'));
    await host.load(version('dave.five', 'dave'));
    await host.load(version('acme.one')); // bob.two is now the least recently used
    const third = await host.load(version('acme.three'));

    expect(host.loadedVersions()).toEqual([
      ['carol.four', '1.0.0'],
      ['dave.five', '1.0.0'],
      ['acme.one', '1.0.0'],
      ['acme.three', '1.0.0'],
    ]);
    await expectEventually(() =>
      expect(published.filter((e) => e.subject === 'plugin.unloaded')).toEqual([
        {
          subject: 'plugin.unloaded',
          data: expect.objectContaining({ plugin_id: 'bob.two', reason: 'capacity' }),
        },
      ]),
    );
    const greeting = await third.call('greet', new TextEncoder().encode('{"name":"Ada"}'));
    expect(JSON.parse(new TextDecoder().decode(greeting.output))).toEqual({
      greeting: 'Hello, Ada!',
    });
  });

  it('ends a load whose start function never returns with cpu_limit, in bounded time, while other versions serve', async () => {
    const spinningSha = sha256Hex(
      await storedModule(
        '(module (memory (export "memory") 1) (func $spin (loop $l (br $l))) (start $spin) (func (export "greet")))',
      ),
    );
    const bystander = await host.load(version('bob.one', 'bob'));

    const started = performance.now();
    const load = host.load({ ...version('mallory.spin', 'mallory'), moduleSha256: spinningSha });
    const served = await bystander.call('greet', new TextEncoder().encode('{"name":"Ada"}'));
    await expect(load).rejects.toMatchObject({ name: 'SandboxError', code: 'cpu_limit' });

    // The start function runs under the call's fuel (EXECUTOR_FUEL) and, past it, wall time
    // (EXECUTOR_TIMEOUT_MS, 5 s), with the sandbox process's own start on a loaded machine.
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(JSON.parse(new TextDecoder().decode(served.output))).toEqual({
      greeting: 'Hello, Ada!',
    });
    expect(host.loadedVersions()).toEqual([['bob.one', '1.0.0']]);
  });

  /**
   * A module whose `emit` sends `times` telemetry events `{"name":"flood","value":1}` and whose
   * `emit_once` sends one, stored for the host's artifacts.
   */
  /** Assembles `wat` and keeps the module in the artifact store this host reads. */
  async function storedModule(wat: string): Promise<Uint8Array> {
    const parsed = (await wabtInit()).parseWat('module.wat', wat);
    const bytes = new Uint8Array(parsed.toBinary({}).buffer);
    parsed.destroy();
    stored.set(sha256Hex(bytes), bytes);
    return bytes;
  }

  /**
   * The start of a module emitting telemetry: the kernel and telemetry_emit imports, one page of
   * memory holding `data` (each at its offset), and `$block` (offset, length), which copies that
   * much of memory into a fresh Extism block.
   */
  const emitter = (data: [offset: number, text: string][]) => `
    (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
    (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
    (import "extism:host/user" "telemetry_emit" (func $emit (param i64) (result i64)))
    (memory (export "memory") 1)
    ${data.map(([at, text]) => `(data (i32.const ${at}) "${text.replaceAll('"', '\\"')}")`).join('\n')}
    (func $block (param $at i32) (param $length i32) (result i64) (local $h i64) (local $i i32)
      (local.set $h (call $alloc (i64.extend_i32_u (local.get $length))))
      (loop $copy
        (call $store_u8 (i64.add (local.get $h) (i64.extend_i32_u (local.get $i)))
          (i32.load8_u (i32.add (local.get $at) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $copy (i32.lt_u (local.get $i) (local.get $length))))
      (local.get $h))`;

  /** A module whose `emit` sends one event `times` times and `emit_once` once. */
  function emittingModule(times: number): Promise<Uint8Array> {
    const event = '{"name":"flood","value":1}';
    return storedModule(`(module
      ${emitter([[0, event]])}
      (func (export "emit") (result i32) (local $times i32) (local $h i64)
        (local.set $h (call $block (i32.const 0) (i32.const ${event.length})))
        (loop $again
          (drop (call $emit (local.get $h)))
          (local.set $times (i32.add (local.get $times) (i32.const 1)))
          (br_if $again (i32.lt_u (local.get $times) (i32.const ${times}))))
        (i32.const 0))
      (func (export "emit_once") (result i32)
        (drop (call $emit (call $block (i32.const 0) (i32.const ${event.length}))))
        (i32.const 0)))`);
  }

  /** Version 1.0.0 of `id` with the module `bytes`, granted telemetry.emit. */
  const emitting = (bytes: Uint8Array, id: string, publisher: string): RunnableRecord => ({
    ...version(id, publisher),
    moduleSha256: sha256Hex(bytes),
    manifest: aManifest({ id, permissions: { 'telemetry.emit': {} } }, bytes),
  });

  it("drops a telemetry flood in its sandbox: about the rate reaches the executor, the rest is counted, a bystander's event is recorded", async () => {
    const RATE = 50;
    const FLOOD = 20_000;
    const flooding = await emittingModule(FLOOD);
    initTelemetry('executor'); // before the instruments exist, as the bootstrap does
    let arrived = 0; // events that crossed from a sandbox process to the executor
    let recorded = 0;
    await host.onApplicationShutdown();
    host = hostWith(
      {
        EXECUTOR_TELEMETRY_EVENTS_PER_SECOND: String(RATE),
        EXECUTOR_MAX_HOST_CALLS: String(FLOOD + 1),
      },
      (settings) =>
        new (class extends TelemetryMetrics {
          override record(...args: Parameters<TelemetryMetrics['record']>): boolean {
            arrived++;
            const kept = super.record(...args);
            if (kept) recorded++;
            return kept;
          }
        })(settings),
    );
    const flooder = await host.load(emitting(flooding, 'mallory.flood', 'mallory'));
    const bystander = await host.load(emitting(flooding, 'bob.quiet', 'bob'));

    const started = performance.now();
    await flooder.call('emit', new Uint8Array());
    const seconds = (performance.now() - started) / 1000;
    await bystander.call('emit_once', new Uint8Array());

    // A second's worth at once (the burst), then the rate while the call ran: not the flood.
    expect(arrived).toBeGreaterThanOrEqual(RATE + 1); // the bystander's event among them
    expect(arrived).toBeLessThanOrEqual(RATE * (1 + seconds) + 2);
    const metrics = await renderMetrics();
    const dropped = new RegExp(
      `^convergio_plugin_telemetry_dropped_total\\{plugin="mallory\\.flood"[^}]*\\} (\\d+)$`,
      'm',
    ).exec(metrics);
    expect(Number(dropped?.[1])).toBe(FLOOD - (recorded - 1));
    expect(metrics).toMatch(
      /^convergio_plugin_telemetry_events_total\{plugin="bob\.quiet",name="flood"[^}]*\} 1$/m,
    );
  });

  it("holds all the plugins of one publisher to its telemetry rate, however many it loads, and serves another publisher's in full", async () => {
    const RATE = 200; // per plugin: each call's events fit its sandbox's and the executor's burst
    const PER_PUBLISHER = 2 * RATE;
    const PLUGINS = 6;
    const emitter = await emittingModule(RATE);
    initTelemetry('executor');
    let arrived = 0; // events that crossed from a sandbox process to the executor
    const recorded = new Map<string, number>(); // by publisher
    await host.onApplicationShutdown();
    host = hostWith(
      {
        EXECUTOR_TELEMETRY_EVENTS_PER_SECOND: String(RATE),
        EXECUTOR_TELEMETRY_EVENTS_PER_SECOND_PER_PUBLISHER: String(PER_PUBLISHER),
        EXECUTOR_MAX_LOADED_PLUGINS: String(PLUGINS + 1),
        EXECUTOR_MAX_LOADED_PER_PUBLISHER: String(PLUGINS),
        EXECUTOR_MAX_HOST_CALLS: '100000', // the kernel's alloc and store_u8 count too
      },
      (settings) =>
        new (class extends TelemetryMetrics {
          override record(...args: Parameters<TelemetryMetrics['record']>): boolean {
            arrived++;
            const kept = super.record(...args);
            if (kept) recorded.set(args[0], (recorded.get(args[0]) ?? 0) + 1);
            return kept;
          }
        })(settings),
    );
    const ids = Array.from({ length: PLUGINS }, (_, i) => `mallory.many${i}`);
    const flooders = await Promise.all(
      ids.map((id) => host.load(emitting(emitter, id, 'mallory'))),
    );
    const bystander = await host.load(emitting(emitter, 'bob.steady', 'bob'));

    const started = performance.now();
    await Promise.all(flooders.map((plugin) => plugin.call('emit', new Uint8Array())));
    const seconds = (performance.now() - started) / 1000;
    await bystander.call('emit', new Uint8Array());

    // Every event reached the executor (each plugin within its own rate), but of Mallory's only
    // her publisher's second's worth (the burst) and its refill while the calls ran were kept.
    expect(arrived).toBe((PLUGINS + 1) * RATE);
    const kept = recorded.get('mallory') ?? 0;
    expect(kept).toBeGreaterThanOrEqual(PER_PUBLISHER);
    expect(kept).toBeLessThanOrEqual(PER_PUBLISHER * (1 + seconds) + 1);
    expect(recorded.get('bob')).toBe(RATE);
    const metrics = await renderMetrics();
    const droppedOf = (id: string) =>
      Number(
        new RegExp(
          `^convergio_plugin_telemetry_dropped_total\\{plugin="${id.replace('.', '\\.')}"[^}]*\\} (\\d+)$`,
          'm',
        ).exec(metrics)?.[1] ?? 0,
      );
    expect(ids.reduce((sum, id) => sum + droppedOf(id), 0)).toBe(PLUGINS * RATE - kept);
    expect(droppedOf('bob.steady')).toBe(0);
  });

  it('counts the telemetry a worker dropped before it was stopped at its wall time', async () => {
    const BEFORE = 1000; // dropped, then sent with the batch a refusal flushes
    const AFTER = 1000; // dropped, then held by the worker when it is stopped
    const good = '{"name":"flood"}';
    const bad = '{"name":"Bad Name"}';
    const spinning = await storedModule(`(module
      ${emitter([
        [0, good],
        [64, bad],
      ])}
      (func $flood (param $times i32) (local $h i64)
        (local.set $h (call $block (i32.const 0) (i32.const ${good.length})))
        (loop $again
          (drop (call $emit (local.get $h)))
          (local.set $times (i32.sub (local.get $times) (i32.const 1)))
          (br_if $again (local.get $times))))
      (func (export "emit") (result i32)
        (call $flood (i32.const ${BEFORE}))
        (drop (call $emit (call $block (i32.const 64) (i32.const ${bad.length}))))
        (call $flood (i32.const ${AFTER}))
        (loop $spin (br $spin))
        (i32.const 0)))`);
    const spinningSha = sha256Hex(spinning);
    initTelemetry('executor');
    let arrived = 0; // events that crossed from the sandbox process to the executor
    await host.onApplicationShutdown();
    host = hostWith(
      {
        // One event a second: the first passes, the others of the call are dropped.
        EXECUTOR_TELEMETRY_EVENTS_PER_SECOND: '1',
        EXECUTOR_MAX_HOST_CALLS: '100000', // the kernel's alloc and store_u8 count too
        EXECUTOR_FUEL: String(Number.MAX_SAFE_INTEGER),
        EXECUTOR_TIMEOUT_MS: '1000',
      },
      (settings) =>
        new (class extends TelemetryMetrics {
          override record(...args: Parameters<TelemetryMetrics['record']>): boolean {
            arrived++;
            return super.record(...args);
          }
        })(settings),
    );
    const plugin = await host.load({
      ...version('mallory.spin', 'mallory'),
      moduleSha256: spinningSha,
      manifest: aManifest({ id: 'mallory.spin', permissions: { 'telemetry.emit': {} } }, spinning),
    });

    await expect(plugin.call('emit', new Uint8Array())).rejects.toMatchObject({ code: 'timeout' });

    expect(arrived).toBe(1);
    const dropped = new RegExp(
      `^convergio_plugin_telemetry_dropped_total\\{plugin="mallory\\.spin"[^}]*\\} (\\d+)$`,
      'm',
    ).exec(await renderMetrics());
    expect(Number(dropped?.[1])).toBe(BEFORE + AFTER - arrived);
  });

  it('records a sandbox process that died running no call as plugin.crashed (idle), and serves it again', async () => {
    const ada = new TextEncoder().encode('{"name":"Ada"}');
    const bystander = await host.load(version('bob.bystander', 'bob'));
    const before = sandboxProcesses().map((p) => p.pid);
    const victim = await host.load(version('acme.killed'));
    const [pid] = sandboxProcesses()
      .map((p) => p.pid)
      .filter((p) => !before.includes(p));
    process.kill(pid, 'SIGKILL');
    await expectEventually(() =>
      expect(published.filter((e) => e.subject === 'plugin.crashed')).toEqual([
        {
          subject: 'plugin.crashed',
          data: {
            plugin_id: 'acme.killed',
            version: '1.0.0',
            function: '(idle)',
            reason: 'sandbox_crashed',
            message: 'the sandbox process ended (signal SIGKILL)',
            resources: { wall_ms: 0 },
          },
        },
      ]),
    );
    expect(() =>
      validateEventEnvelope('plugin.crashed', {
        id: randomUUID(),
        type: 'plugin.crashed',
        version: 1,
        occurred_at: new Date().toISOString(),
        source: 'executor',
        correlation_id: 'c',
        data: published.at(-1)!.data,
      }),
    ).not.toThrow();
    // Started again by its next call; the bystander never noticed.
    expect(new TextDecoder().decode((await victim.call('greet', ada)).output)).toContain('Ada');
    expect(new TextDecoder().decode((await bystander.call('greet', ada)).output)).toContain('Ada');
    expect(published.filter((e) => e.subject === 'plugin.crashed')).toHaveLength(1);
  });

  it('records no idle crash for a sandbox process that dies while it loads: its load reports it', async () => {
    const spinningSha = sha256Hex(
      await storedModule(
        '(module (memory (export "memory") 1) (func $spin (loop $l (br $l))) (start $spin) (func (export "greet")))',
      ),
    );
    const before = sandboxProcesses().map((p) => p.pid);
    const load = host.load({
      ...version('mallory.dies-loading', 'mallory'),
      moduleSha256: spinningSha,
    });
    let pid: number | undefined;
    await expectEventually(() => {
      [pid] = sandboxProcesses()
        .map((p) => p.pid)
        .filter((p) => !before.includes(p));
      expect(pid).toBeDefined();
    });
    process.kill(pid!, 'SIGKILL');
    await expect(load).rejects.toMatchObject({ code: 'sandbox_crashed' });
    expect(published.filter((e) => e.subject === 'plugin.crashed')).toEqual([]);
  });

  it('makes a publisher at EXECUTOR_MAX_LOADED_PER_PUBLISHER give up its own versions, never another', async () => {
    await host.load(version('bob.one', 'bob'));
    // Mallory loads versions in rotation; once the slots are full, each load of hers past her
    // share unloads her own least recently used version.
    for (const id of ['mallory.a', 'mallory.b', 'mallory.c', 'mallory.d', 'mallory.a'])
      await host.load(version(id, 'mallory'));

    expect(host.loadedVersions()).toEqual([
      ['bob.one', '1.0.0'],
      ['mallory.c', '1.0.0'],
      ['mallory.d', '1.0.0'],
      ['mallory.a', '1.0.0'],
    ]);
    await expectEventually(() => expect(unloaded()).toEqual(['mallory.a', 'mallory.b']));
  });

  it('lets a publisher use free slots past its share, and takes those back first', async () => {
    await host.load(version('bob.one', 'bob'));
    for (const id of ['mallory.a', 'mallory.b', 'mallory.c'])
      await host.load(version(id, 'mallory'));
    // Full, and mallory holds 3 of 4: her least recently used makes room, not bob's older one.
    await host.load(version('carol.one', 'carol'));

    expect(host.loadedVersions()).toEqual([
      ['bob.one', '1.0.0'],
      ['mallory.b', '1.0.0'],
      ['mallory.c', '1.0.0'],
      ['carol.one', '1.0.0'],
    ]);
  });

  describe('under EXECUTOR_SANDBOX_MEMORY_TOTAL_MB, each publisher keeping its share of that memory', () => {
    const greet = new TextEncoder().encode('{"name":"Ada"}');
    const served = async (plugin: LoadedSandboxPlugin) =>
      JSON.parse(new TextDecoder().decode((await plugin.call('greet', greet)).output)) as unknown;
    const capacityRefusal = {
      name: 'DomainError',
      code: 'unavailable',
      details: [expect.objectContaining({ code: 'capacity' })],
    };
    const MiB = 1048576;
    // What a load counts on for the process it starts (SANDBOX_START_BYTES).
    const START_MIB = 80;
    // Resident sets are read every 250 ms: what the host counts has caught up after this.
    const readings = () => new Promise((resolve) => setTimeout(resolve, 600));
    const watModule = async (text: string) => sha256Hex(await storedModule(text));
    // Grows its memory by 1500 pages (94 MiB) and writes to every 4 KiB of it.
    const GROW = `(func (export "grow") (result i32) (local $p i32)
      (drop (memory.grow (i32.const 1500)))
      (local.set $p (i32.const 65536))
      (loop $touch
        (i32.store8 (local.get $p) (i32.const 1))
        (local.set $p (i32.add (local.get $p) (i32.const 4096)))
        (br_if $touch (i32.lt_u (local.get $p) (i32.const 98369536))))
      (i32.const 0))`;
    let spinSha: string;
    let growSha: string;
    // The resident set of an idle sandbox process of each module, MiB, measured here (from
    // TypeScript sources a process holds about twice what a built one does).
    const resident = { greet: 0, spin: 0, grow: 0 };
    const useHost = async (totalMb: number, env: Record<string, string> = {}) => {
      await host.onApplicationShutdown();
      published.splice(0);
      host = hostWith({ EXECUTOR_SANDBOX_MEMORY_TOTAL_MB: String(totalMb), ...env });
    };

    beforeAll(async () => {
      spinSha = await watModule(
        '(module (memory (export "memory") 1) (func (export "spin") (result i32) (loop $l (br $l)) (i32.const 0)))',
      );
      growSha = await watModule(`(module (memory (export "memory") 1) ${GROW})`);
      for (const [name, moduleSha] of [
        ['greet', sha],
        ['spin', spinSha],
        ['grow', growSha],
      ] as const) {
        const measuring = hostWith();
        await measuring.load({ ...version(`measure.${name}`), moduleSha256: moduleSha });
        await readings();
        const measured = sandboxProcesses();
        await measuring.onApplicationShutdown();
        expect(measured).toHaveLength(1);
        resident[name] = Math.ceil(measured[0].residentBytes / MiB);
      }
    });

    it("makes a publisher over its memory share give up its own idle version, never a bystander's, however few versions it holds", async () => {
      // Two greet processes fit, not two and the start of a third; each publisher may hold 25
      // versions by count, and mallory holds 1 when she needs room.
      await useHost(2 * resident.greet + START_MIB / 2, {
        EXECUTOR_MAX_LOADED_PLUGINS: '100',
        EXECUTOR_MAX_LOADED_PER_PUBLISHER: '25',
      });
      const bystander = await host.load(version('bob.one', 'bob'));
      await host.load(version('mallory.a', 'mallory'));
      await readings();
      const b = await host.load(version('mallory.b', 'mallory'));

      expect(host.loadedVersions()).toEqual([
        ['bob.one', '1.0.0'],
        ['mallory.b', '1.0.0'],
      ]);
      expect(unloaded()).toEqual(['mallory.a']);
      expect(published).toContainEqual({
        subject: 'plugin.unloaded',
        data: expect.objectContaining({ plugin_id: 'mallory.a', reason: 'capacity' }),
      });
      expect(await served(b)).toEqual({ greeting: 'Hello, Ada!' });
      expect(await served(bystander)).toEqual({ greeting: 'Hello, Ada!' });
    });

    it("does not let a publisher keeping its versions busy past its share get another's load refused: its busy version goes, and its own next load is refused", async () => {
      // Two spin processes and the start of a third do not fit; one of each and a start do not
      // either, but one of each does.
      const total = resident.spin + Math.max(resident.greet, START_MIB) + START_MIB / 4;
      expect(2 * resident.spin + START_MIB).toBeGreaterThan(total);
      await useHost(total, {
        EXECUTOR_FUEL: String(Number.MAX_SAFE_INTEGER),
        EXECUTOR_TIMEOUT_MS: '2000',
        EXECUTOR_INSTANCES_PER_PLUGIN: '1',
      });
      const spinning = (id: string) => ({ ...version(id, 'mallory'), moduleSha256: spinSha });
      // Mallory keeps two calls in flight on each of her versions, each spinning to its wall time.
      let busy = true;
      const keepBusy = async (plugin: LoadedSandboxPlugin) => {
        while (busy) {
          const outcome = await plugin.call('spin', new Uint8Array()).catch((e: unknown) => e);
          if ((outcome as { code?: string }).code === 'plugin_closed') return;
        }
      };
      const calls: Promise<void>[] = [];
      for (const id of ['mallory.a', 'mallory.b']) {
        const plugin = await host.load(spinning(id));
        calls.push(keepBusy(plugin), keepBusy(plugin));
      }
      await readings();

      const bystander = await host.load(version('bob.one', 'bob'));
      expect(host.loadedVersions()).toEqual([
        ['mallory.b', '1.0.0'],
        ['bob.one', '1.0.0'],
      ]);
      expect(published).toContainEqual({
        subject: 'plugin.unloaded',
        data: expect.objectContaining({ plugin_id: 'mallory.a', reason: 'capacity' }),
      });
      await readings();
      // Over her share with nothing of hers idle: her load is refused, bob's version stays.
      await expect(host.load(spinning('mallory.c'))).rejects.toMatchObject(capacityRefusal);
      expect(await served(bystander)).toEqual({ greeting: 'Hello, Ada!' });
      busy = false;
      await Promise.all(calls);
      expect(unloaded()).toEqual(['mallory.a']);
      expect(published.map((e) => e.subject)).not.toContain('plugin.crashed');
    }, 30_000);

    it('refuses a load with unavailable (capacity) when its publisher is over its share with nothing idle, and charges nobody', async () => {
      await useHost(resident.spin + Math.max(resident.greet, START_MIB) + START_MIB / 4, {
        EXECUTOR_FUEL: String(Number.MAX_SAFE_INTEGER),
        EXECUTOR_TIMEOUT_MS: '4000',
      });
      const bystander = await host.load(version('bob.one', 'bob'));
      const busy = await host.load({ ...version('mallory.a', 'mallory'), moduleSha256: spinSha });
      const spin = busy.call('spin', new Uint8Array()).catch((error: unknown) => error);
      await readings();

      await expect(host.load(version('mallory.b', 'mallory'))).rejects.toMatchObject(
        capacityRefusal,
      );
      expect(host.loadedVersions()).toEqual([
        ['bob.one', '1.0.0'],
        ['mallory.a', '1.0.0'],
      ]);
      expect(await served(bystander)).toEqual({ greeting: 'Hello, Ada!' });
      await spin;
      expect(published.map((e) => e.subject)).not.toContain('plugin.crashed');
      expect(unloaded()).toEqual([]);
    });

    it("does not refuse a bystander's load while a version another publisher gave up for a slot still holds memory past that publisher's share", async () => {
      // GROW, and spin, which runs to its wall time.
      const growSpinSha = await watModule(`(module (memory (export "memory") 1) ${GROW}
        (func (export "spin") (result i32) (loop $l (br $l)) (i32.const 0)))`);
      const limits = {
        EXECUTOR_MAX_MEMORY_PAGES: '2048',
        EXECUTOR_SANDBOX_MEMORY_MB: '2048',
        EXECUTOR_FUEL: String(Number.MAX_SAFE_INTEGER),
        EXECUTOR_TIMEOUT_MS: '1500',
        EXECUTOR_INSTANCES_PER_PLUGIN: '1',
        // Every slot taken: a publisher's next version makes room by giving up one of its own.
        EXECUTOR_MAX_LOADED_PLUGINS: '1',
        EXECUTOR_MAX_LOADED_PER_PUBLISHER: '1',
      };
      await useHost(4096, limits);
      const measuring = await host.load({
        ...version('measure.gs', 'x'),
        moduleSha256: growSpinSha,
      });
      await measuring.call('grow', new Uint8Array());
      await readings();
      const grown = Math.ceil(sandboxProcesses()[0].residentBytes / MiB);
      // Mallory's grown process alone fits; it and the start of another do not; a share is 80+.
      const total = Math.max(grown + START_MIB / 2, 2 * START_MIB + 10);
      expect(grown + START_MIB).toBeGreaterThan(total);
      await useHost(total, limits);

      const a = await host.load({ ...version('mallory.a', 'mallory'), moduleSha256: growSpinSha });
      await a.call('grow', new Uint8Array());
      // One spin runs, seven wait their turn on her single instance (10 s, the bound of a close).
      const spins = Array.from({ length: 8 }, () =>
        a.call('spin', new Uint8Array()).catch((error: unknown) => error),
      );
      await readings();
      // Loading another of her versions gives up mallory.a for the slot: it drains its calls.
      await host.load(version('mallory.b', 'mallory')).catch((error: unknown) => error);
      const started = performance.now();
      const loaded = await host.load(version('bob.one', 'bob')).then(
        (plugin) => plugin,
        (error: unknown) => error,
      );
      const waitedMs = performance.now() - started;
      await Promise.all(spins);
      expect(loaded).not.toMatchObject(capacityRefusal);
      expect(await served(loaded as LoadedSandboxPlugin)).toEqual({ greeting: 'Hello, Ada!' });
      // About her running call's wall time and a process start, not her queue's 10 s.
      expect(waitedMs).toBeLessThan(6000);
    }, 60_000);

    it('unloads, once the processes grow past it after their loads, the idle version of the publisher most over its share', async () => {
      await useHost(resident.greet + Math.max(resident.grow, START_MIB) + START_MIB / 2, {
        EXECUTOR_MAX_MEMORY_PAGES: '2048',
        EXECUTOR_SANDBOX_MEMORY_MB: '2048',
      });
      const bystander = await host.load(version('bob.one', 'bob'));
      const growing = await host.load({
        ...version('mallory.grow', 'mallory'),
        moduleSha256: growSha,
      });
      await readings();
      expect(unloaded()).toEqual([]);

      await growing.call('grow', new Uint8Array());
      await expectEventually(() =>
        expect(published).toContainEqual({
          subject: 'plugin.unloaded',
          data: expect.objectContaining({ plugin_id: 'mallory.grow', reason: 'capacity' }),
        }),
      );
      expect(unloaded()).toEqual(['mallory.grow']);
      expect(host.loadedVersions()).toEqual([['bob.one', '1.0.0']]);
      expect(await served(bystander)).toEqual({ greeting: 'Hello, Ada!' });
    });
  });
});

describe('deniedEvent', () => {
  const plugin = { id: 'acme.one', version: '1.0.0', trust: 'untrusted' as const };

  it('makes a permission.denied that passes its schema whatever the plugin asked for', () => {
    for (const target of [
      '/etc/\ud800',
      '/etc/\u0000x',
      `/${'😀'.repeat(1500)}`,
      'x'.repeat(5000),
    ]) {
      const data = deniedEvent(plugin, { capability: 'fs.read', target, reason: 'denied' });
      expect(() =>
        validateEventEnvelope('permission.denied', {
          id: randomUUID(),
          type: 'permission.denied',
          version: 1,
          occurred_at: new Date().toISOString(),
          source: 'executor',
          correlation_id: 'c',
          data,
        }),
      ).not.toThrow();
      expect(target.startsWith(data.target)).toBe(true);
    }
  });

  it('clips long text without splitting a surrogate pair', () => {
    const target = `${'a'.repeat(1999)}😀tail`;
    expect(deniedEvent(plugin, { capability: 'fs.read', target, reason: '' }).target).toBe(
      'a'.repeat(1999),
    );
  });
});
