import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Manifest } from '@convergio/contracts';
import {
  aManifest,
  expectEventually,
  exponentialInputSchema,
  sha256Hex,
  startDnsServer,
  startPlatform,
  type PlatformInfo,
  type TestDnsServer,
} from '@convergio/testing';
import {
  api,
  bearer,
  createKey,
  fixturesModule,
  greetManifest,
  runToolManifest,
  submit,
  uniqueId,
  versionState,
} from './support/fixtures.js';
import {
  accountedDenials,
  assemble,
  CRASHING,
  denialFlood,
  FAKE_TOKEN,
  FS_READS,
  fsReadWith,
  MEMORY_HOG,
  NEGATIVE_OUTPUT,
  REJECTED,
  telemetryFlood,
} from './support/chaos-modules.js';
import { callHost, deployHostile } from './support/hostile.js';
import { callBystander, deployBystander, rssKb, type BystanderCall } from './support/bystander.js';

/**
 * Latency bound of every bystander call while the attacks run. Generous for a shared 2-core box
 * running seven services and a dozen sandbox processes, and far below the stalls these attacks
 * caused before (80 s frozen by a regex, 39 s of 504s behind a silent DNS server).
 */
const BYSTANDER_P99_MS = 2000;
/**
 * Sandbox process ceiling (EXECUTOR_SANDBOX_MEMORY_MB): it holds the worst case of one instance
 * at MEMORY_PAGES (468 MiB, see sandboxMemoryBudget), so every version runs one instance, and no
 * sandbox process may ever be seen above it, the memory hog's included.
 */
const SANDBOX_MEMORY_MB = 512;
/**
 * The executor holds no plugin memory of its own (its plugins run in sandbox processes); before,
 * one kernel alloc flood grew it by 2 GiB.
 */
const EXECUTOR_RSS_MB = 400;
/** Linear-memory cap of a call (EXECUTOR_MAX_MEMORY_PAGES), 64 MiB; Extism blocks get as much. */
const MEMORY_PAGES = 1024;
/** Attribute sets one plugin may have as telemetry series (MAX_TELEMETRY_SERIES_PER_PLUGIN). */
const MAX_SERIES_PER_PLUGIN = 256;
/** Wall time of a call (EXECUTOR_TIMEOUT_MS). */
const WALL_TIME_MS = 5000;
/**
 * Refusals a plugin version sends a second past a burst of as many, all its instances together
 * (EXECUTOR_DENIALS_PER_SECOND).
 */
const DENIALS_PER_SECOND = 200;
/** A call is stopped at its wall time; the rest is the load of the box. */
const CALL_BOUND_MS = 2 * WALL_TIME_MS;

interface AuditEvent {
  type: string;
  plugin_id: string | null;
  data: {
    reason?: string;
    function?: string;
    target?: string;
    resources?: { host_calls?: number };
  };
}

/** Resident set of each child of `pid` (the executor's sandbox processes), kB. */
function childrenRss(pid: number): Map<number, number> {
  let out = '';
  try {
    out = execFileSync('ps', ['--ppid', String(pid), '-o', 'pid=,rss='], { encoding: 'utf8' });
  } catch {
    // ps exits 1 when there is no child.
  }
  return new Map(
    out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]),
  );
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/**
 * Every input that once took the executor down, the variants an attacker tries next, and the
 * existing hostile plugins, fired at once at one platform while a bystander plugin is called
 * continuously. Each attack must end typed and be charged to its own plugin; the bystander must
 * not notice; the executor must neither exit nor grow.
 */
describe('chaos: every known attack at once, next to a bystander', () => {
  let dns: TestDnsServer;
  let platform: Awaited<ReturnType<typeof startPlatform>>;
  let info: PlatformInfo;
  let executorPid: number;
  let publisher: string;
  let invoker: string;
  let auditor: string;
  let bystander: string;
  let stopped = false;
  const calls: BystanderCall[] = [];
  const health: { status: number; ms: number }[] = [];
  const executorRss: number[] = [];
  /** Resident set samples of each sandbox process, kB. */
  const sandboxRss = new Map<number, number[]>();
  let monitors: Promise<unknown>[] = [];

  beforeAll(async () => {
    dns = await startDnsServer(() => null);
    platform = await startPlatform({
      // Wall time is every call's limit; the plugins that test fuel ask for less. 5 s, not the
      // usual 2 s: on 2 shared cores the memory hog needs most of 2 s to fill its memory.
      EXECUTOR_FUEL: String(Number.MAX_SAFE_INTEGER),
      EXECUTOR_TIMEOUT_MS: String(WALL_TIME_MS),
      EXECUTOR_DENIALS_PER_SECOND: String(DENIALS_PER_SECOND),
      EXECUTOR_SANDBOX_MEMORY_MB: String(SANDBOX_MEMORY_MB),
      EXECUTOR_MAX_MEMORY_PAGES: String(MEMORY_PAGES),
      EXECUTOR_DNS_SERVERS: dns.address,
      // Every attack is submitted at once; the cap on submissions in hand (8 by default, its
      // 503 tested in auth-flood.e2e) is not what this suite is about.
      GATEWAY_MAX_CONCURRENT_SUBMISSIONS: '64',
      // Nest colours its own lines otherwise: the log must hold no escape at all.
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
    const deadline = Date.now() + 150_000;
    const running = () => !stopped && Date.now() < deadline;
    monitors = [
      callBystander(bystander, invoker, running, calls),
      healthLoop(running),
      memoryLoop(running),
    ];
  }, 120_000);

  afterAll(async () => {
    stopped = true;
    await Promise.all(monitors);
    await platform?.stop();
    await dns?.close();
  }, 60_000);

  async function healthLoop(running: () => boolean) {
    while (running()) {
      const started = performance.now();
      const status = await fetch(`${info.serviceUrls.executor}/healthz`, {
        signal: AbortSignal.timeout(10_000),
      }).then(
        (r) => r.status,
        () => 0,
      );
      health.push({ status, ms: performance.now() - started });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async function memoryLoop(running: () => boolean) {
    while (running()) {
      try {
        executorRss.push(rssKb(executorPid));
      } catch {
        executorRss.push(-1); // gone: the liveness check reports it
      }
      for (const [pid, kb] of childrenRss(executorPid))
        sandboxRss.set(pid, [...(sandboxRss.get(pid) ?? []), kb]);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const audit = async (id: string, type?: string): Promise<AuditEvent[]> => {
    const res = await api()
      .get('/v1/audit')
      .query({ plugin_id: id, limit: 500, ...(type && { type }) })
      .set(bearer(auditor))
      .expect(200);
    return (res.body as { events: AuditEvent[] }).events;
  };
  const invoke = (id: string, fn: string, input: unknown = {}) =>
    api().post(`/v1/plugins/${id}/invoke`).set(bearer(invoker)).send({ function: fn, input });
  const slow = { timeoutMs: 60_000, intervalMs: 250 };
  /**
   * Verification of the whole burst: about 40 modules (up to 15.5 MiB) checked two at a time, each
   * in a fresh worker (ADR 0020); on the shared 2-core box the last verdict came after 63 s.
   */
  const verifying = { timeoutMs: 100_000, intervalMs: 250 };

  /** The plugin's crash record for `fn` says `reason`, and names this plugin. */
  async function expectCrashRecorded(id: string, fn: string, reason: string) {
    await expectEventually(async () => {
      const crashes = (await audit(id, 'plugin.crashed')).filter((e) => e.data.function === fn);
      expect(crashes.map((e) => e.data.reason)).toContain(reason);
      for (const e of crashes) expect(e.plugin_id).toBe(id);
    }, slow);
  }

  /** Publishes a WAT module whose tools are `tools`, as a publisher's CLI would. */
  async function publishWat(
    name: string,
    wat: string,
    tools: string[],
    limits?: Manifest['limits'],
    permissions?: Manifest['permissions'],
  ) {
    return publishModule(name, await assemble(wat), tools, limits, permissions);
  }

  /** Publishes module bytes whose tools are `tools`. */
  async function publishModule(
    name: string,
    module: Buffer,
    tools: string[],
    limits?: Manifest['limits'],
    permissions?: Manifest['permissions'],
  ) {
    const manifest = aManifest(
      {
        id: uniqueId(name),
        entrypoint: 'plugin.wasm',
        capabilities: {
          tools: tools.map((t) => ({ name: t, function: t, description: t, input_schema: {} })),
        },
        ...(limits && { limits }),
        ...(permissions && { permissions }),
      },
      module,
    );
    expect(manifest.signing.sha256).toBe(sha256Hex(module));
    await submit(publisher, manifest, module).expect(202);
    return manifest.id;
  }

  const loaded = (id: string) =>
    expectEventually(
      async () =>
        expect(await versionState(publisher, id)).toMatchObject({
          status: 'approved',
          loaded: true,
        }),
      verifying,
    );

  async function rejectedAtVerification({ name, module, code }: (typeof REJECTED)[number]) {
    const id = await publishModule(name, await module(), ['run']);
    const state = await expectEventually(async () => {
      const s = await versionState(publisher, id);
      expect(s.status).toBe('rejected');
      return s;
    }, verifying);
    expect(state.findings.map((f) => f.code)).toContain(code);
    await expectEventually(async () => {
      const rejected = await audit(id, 'plugin.rejected');
      expect(rejected).toHaveLength(1);
      expect(rejected[0].plugin_id).toBe(id);
    }, slow);
    expect((await audit(id)).map((e) => e.type)).not.toContain('plugin.loaded');
  }

  async function stoppedTyped({ name, wat, fuel, memoryPages, reason }: (typeof CRASHING)[number]) {
    const id = await publishWat(name, wat, ['run'], {
      ...(fuel !== undefined && { fuel }),
      ...(memoryPages !== undefined && { memory_pages: memoryPages }),
    });
    await loaded(id);
    const started = performance.now();
    const res = await invoke(id, 'run');
    // Whatever stops it, it is stopped within its wall time and the time to report it.
    expect({ name, ms: performance.now() - started < CALL_BOUND_MS }).toEqual({ name, ms: true });
    const outcome = `${res.status} ${res.body.error?.details?.[0]?.code ?? res.body.error?.code}`;
    const expected = reason
      .split('|')
      .map((r) => (r === 'timeout' ? '504 plugin_timeout' : `422 ${r}`));
    expect(expected).toContain(outcome);
    await expectCrashRecorded(
      id,
      'run',
      outcome.endsWith('plugin_timeout') ? 'timeout' : outcome.slice(4),
    );
  }

  /**
   * This plugin fills every allocator it can reach and keeps running: its sandbox process stays
   * under the ceiling (checked with every process, below), and only its wall time stops it.
   */
  async function heldUnderTheCeiling() {
    const id = await publishWat('memory-hog', MEMORY_HOG, ['run', 'ping']);
    await loaded(id);
    const res = await invoke(id, 'run');
    expect([res.status, res.body.error?.code]).toEqual([504, 'plugin_timeout']);
    await expectCrashRecorded(id, 'run', 'timeout');
    await invoke(id, 'ping').expect(200);
  }

  /** Eight lookups a DNS server never answers cost this plugin its wall time, nobody else's. */
  async function silentDns() {
    const names = Array.from({ length: 8 }, (_, i) => `n${i}.blackhole.test`);
    const id = await deployHostile(publisher, {
      permissions: { 'net.http': { rules: names.map((host) => ({ host, methods: ['GET'] })) } },
    });
    const replies = await Promise.all(
      names.map((host) =>
        invoke(id, 'call_host', {
          fn: 'http_request',
          arg: { url: `https://${host}/`, method: 'GET' },
        }),
      ),
    );
    // Each call times out (504). After five crashes the breaker unloads the plugin: the
    // calls still queued for it do not run and are refused as paused (503), like later ones;
    // nothing crashed for them. All of it is charged to this plugin.
    const outcomes = replies.map(
      (r) => `${r.status} ${r.body.error?.details?.[0]?.code ?? r.body.error?.code}`,
    );
    for (const outcome of outcomes)
      expect(['504 plugin_timeout', '503 unavailable']).toContain(outcome);
    expect(outcomes).toContain('504 plugin_timeout');
    await expectCrashRecorded(id, 'call_host', 'timeout');
    const reasons = (await audit(id, 'plugin.crashed')).map((e) => e.data.reason);
    expect(reasons.filter((reason) => reason !== 'timeout')).toEqual([]);
    expect(names.some((n) => dns.queries(n).length > 0)).toBe(true);
  }

  /** No permission at all, a path with a lone UTF-16 surrogate: refused, as a result. */
  async function surrogatePath() {
    const id = await deployHostile(publisher, { permissions: {} });
    const answer = await callHost(invoker, id, 'fs_read', { path: '/etc/\ud800' });
    expect(answer.error).toMatchObject({ code: 'permission_denied', capability: 'fs.read' });
    // The refusal is recorded, the surrogate escaped loss-free (it used to fail the event's
    // insert, and the event was dropped).
    await expectEventually(async () => {
      const refusals = await audit(id, 'permission.denied');
      expect(refusals.some((e) => /^\/etc\/.*\\ud800/.test(String(e.data.target)))).toBe(true);
      for (const e of refusals) expect(e.plugin_id).toBe(id);
    }, slow);
  }

  /**
   * Denial targets holding invalid UTF-8 (bytes no text encoding produces): each recorded as its
   * own input, loss-free, where U+FFFD once made `/etc/a\xff` and `/etc/a\xfe` one record.
   */
  async function invalidUtf8Targets() {
    const target = (bytes: number[]) =>
      Buffer.concat([Buffer.from('{"path":"/etc/a'), Buffer.from(bytes), Buffer.from('"}')]);
    const variants: [number[], string][] = [
      [[0xff], '/etc/a\\udcff'],
      [[0xfe], '/etc/a\\udcfe'],
      [[0xc0, 0xae], '/etc/a\\udcc0\\udcae'],
    ];
    await Promise.all(
      variants.map(async ([bytes, recorded]) => {
        const id = await publishWat('utf8-denial', fsReadWith(target(bytes)), ['run']);
        await loaded(id);
        const res = await invoke(id, 'run');
        expect(res.status).toBe(200);
        expect(res.body.output).toMatchObject({ error: { code: 'permission_denied' } });
        // Each invalid byte kept as U+DC00 + byte; the audit log stores a lone surrogate as its
        // escape (escapeAuditText: loss-free, `\` itself is doubled).
        await expectEventually(async () => {
          const denied = await audit(id, 'permission.denied');
          expect(denied.map((e) => [e.plugin_id, e.data.target])).toEqual([[id, recorded]]);
        }, slow);
      }),
    );
  }

  /**
   * Plugins with only `telemetry.emit` (low risk, approved on its own) emitting ever-new, wide
   * attribute sets, then a scrape: /metrics once grew without bound and one render ended the
   * process. Each plugin keeps its cap of series, the rest folded; the histogram carries no
   * plugin attributes.
   */
  async function telemetrySeriesFlood() {
    const EVENTS = 300;
    const ids = await Promise.all(
      [1, 2, 3].map(() =>
        publishWat('telemetry-flood', telemetryFlood(EVENTS), ['run'], undefined, {
          'telemetry.emit': {},
        }),
      ),
    );
    for (const id of ids) {
      await loaded(id);
      expect((await invoke(id, 'run')).status).toBe(200);
    }
    const res = await fetch(`${info.serviceUrls.executor}/metrics`);
    expect(res.status).toBe(200);
    const lines = (await res.text()).split('\n');
    for (const id of ids) {
      const own = lines.filter((l) => l.includes(`plugin="${id}"`));
      const events = own.filter((l) => l.startsWith('convergio_plugin_telemetry_events_total'));
      expect(events.filter((l) => l.includes('attr_k0'))).toHaveLength(MAX_SERIES_PER_PLUGIN);
      expect(own).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^convergio_plugin_telemetry_folded_total\\{plugin="${id}".* ${EVENTS - MAX_SERIES_PER_PLUGIN}$`,
          ),
        ),
      );
      const histogram = own.filter((l) => l.startsWith('convergio_plugin_telemetry_value'));
      expect(histogram.length).toBeGreaterThan(0);
      expect(histogram.filter((l) => l.includes('attr_'))).toEqual([]);
    }
  }

  /** output_set with a negative length: a trap charged to the plugin, not runtime_failure. */
  async function negativeOutputLength() {
    const id = await publishWat('negative-output', NEGATIVE_OUTPUT, ['run']);
    await loaded(id);
    const res = await invoke(id, 'run');
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({
      code: 'plugin_failed',
      details: [expect.objectContaining({ code: 'trap' })],
    });
    await expectCrashRecorded(id, 'run', 'trap');
  }

  /**
   * A tool whose input schema backtracks catastrophically on a backtracking engine (80 s frozen
   * gateway, executor and /healthz before): the input is checked on RE2 and refused at once.
   */
  async function backtrackingSchema() {
    const manifest = greetManifest({
      capabilities: {
        tools: [
          {
            name: 'greet',
            function: 'greet',
            description: 'greets an a',
            input_schema: {
              type: 'object',
              properties: { name: { type: 'string', pattern: '^(a|a)*$' } },
            },
          },
        ],
      },
    });
    await submit(publisher, manifest).expect(202);
    await loaded(manifest.id);
    const res = await invoke(manifest.id, 'greet', { name: `${'a'.repeat(31)}!` });
    expect({ status: res.status, code: res.body.error?.code }).toEqual({
      status: 400,
      code: 'validation_failed',
    });
  }

  /**
   * A plugin with no permission whose tool input_schema passes every verification bound but
   * whose check doubles its work with each anyOf link (minutes of Ajv for one input; it froze the
   * executor's main thread, /healthz and every plugin's calls). The check runs in the plugin's
   * own sandbox, under the call's wall time: it times out, charged to this plugin alone.
   */
  async function exponentialSchema() {
    const manifest = greetManifest({
      permissions: {},
      capabilities: {
        tools: [
          {
            name: 'greet',
            function: 'greet',
            description: 'greets after a long look at its input',
            input_schema: exponentialInputSchema(),
          },
        ],
      },
    });
    await submit(publisher, manifest).expect(202);
    await loaded(manifest.id);
    const res = await invoke(manifest.id, 'greet', { name: 'Ada' });
    expect({ status: res.status, code: res.body.error?.code }).toEqual({
      status: 504,
      code: 'plugin_timeout',
    });
    await expectCrashRecorded(manifest.id, 'greet', 'timeout');
  }

  /**
   * No permission, every host call a denial, two calls at once: before, each denial was a
   * transaction started and never awaited, and 200,000 of them took the executor out of heap;
   * then ~62,000 denials a second reached the executor's main thread and slowed every bystander.
   * Now each version's refusals are paced (EXECUTOR_DENIALS_PER_SECOND): the calls run out of
   * their own wall time, and each denial they were answered is accounted for in the audit log, on
   * its own or in a record folding many. Here the version runs one instance (see
   * SANDBOX_MEMORY_MB), so the calls run one after the other, the second on the instance that
   * replaced the first's: it gets no burst of its own, only what time refilled meanwhile.
   */
  async function denialFloodAttack() {
    const module = await assemble(denialFlood(FS_READS));
    const manifest = runToolManifest('denial-flood', module);
    await submit(publisher, manifest, module).expect(202);
    await loaded(manifest.id);
    const replies = await Promise.all([invoke(manifest.id, 'run'), invoke(manifest.id, 'run')]);
    expect(replies.map((r) => `${r.status} ${String(r.body.error?.code)}`)).toEqual([
      '504 plugin_timeout',
      '504 plugin_timeout',
    ]);
    const db = new pg.Client({ connectionString: info.databaseUrl });
    await db.connect();
    try {
      let refused = 0;
      await expectEventually(async () => {
        const crashes = (await audit(manifest.id, 'plugin.crashed')).filter(
          (e) => e.data.reason === 'timeout',
        );
        expect(crashes).toHaveLength(2);
        refused = crashes.reduce((sum, e) => sum + (e.data.resources?.host_calls ?? 0), 0);
      }, slow);
      // Paced: at most a burst of a second's worth, then the rate, over a 5 s call (not 9,000
      // each), and the alloc and the refusal waiting its turn of each call.
      expect(refused).toBeLessThanOrEqual(2 * (DENIALS_PER_SECOND * (1 + WALL_TIME_MS / 1000) + 2));
      expect(refused).toBeGreaterThanOrEqual(2 * DENIALS_PER_SECOND);
      // Each call's host calls are the alloc of its input block and its refusals: every one it
      // was answered, and the one waiting its turn when it was stopped (if it was waiting).
      await expectEventually(async () => {
        const { denied, others } = await accountedDenials(db, manifest.id);
        expect(others).toBe(0);
        expect(denied).toBeGreaterThanOrEqual(refused - 2 * 2);
        expect(denied).toBeLessThanOrEqual(refused - 2 * 1);
      }, slow);
    } finally {
      await db.end();
    }
  }

  /** The hostile example plugins the attack suites already use. */
  async function existingHostiles() {
    const hostile = await deployHostile(publisher, {
      permissions: {},
      limits: { max_host_calls: 1000 },
      extraTools: ['recurse', 'flood', 'big_output'],
    });
    const fixtures = fixturesModule();
    const manifest = greetManifest({
      entrypoint: 'fixtures.wasm',
      capabilities: {
        tools: ['spin', 'trap', 'membomb'].map((t) => ({
          name: t,
          function: t,
          description: t,
          input_schema: {},
        })),
      },
      signing: { sha256: sha256Hex(fixtures) },
    });
    await submit(publisher, manifest, fixtures).expect(202);
    await loaded(manifest.id);
    const cases: [string, string, number, string][] = [
      [hostile, 'recurse', 422, 'stack_overflow'],
      [hostile, 'flood', 422, 'host_call_limit'],
      // 100 MiB in linear memory, over this suite's 64 MiB cap: the allocation fails and
      // AssemblyScript aborts (trap), unless the loaded box runs out its wall time first.
      [hostile, 'big_output', 0, 'trap|timeout'],
      [manifest.id, 'spin', 504, 'timeout'],
      [manifest.id, 'trap', 422, 'trap'],
      [manifest.id, 'membomb', 422, 'trap'],
    ];
    await Promise.all(
      cases.map(async ([id, fn, status, reason]) => {
        const res = await invoke(id, fn);
        const reasons = reason.split('|');
        if (status) expect({ fn, status: res.status }).toEqual({ fn, status });
        else expect([422, 504]).toContain(res.status);
        await expectEventually(async () => {
          const crashes = (await audit(id, 'plugin.crashed')).filter((e) => e.data.function === fn);
          expect(crashes.some((e) => reasons.includes(e.data.reason ?? ''))).toBe(true);
          for (const e of crashes) expect(e.plugin_id).toBe(id);
        }, slow);
      }),
    );
  }

  it('ends every attack with a typed error recorded against its own plugin', async () => {
    const attacks: [string, Promise<void>][] = [
      ...REJECTED.map((c): [string, Promise<void>] => [c.name, rejectedAtVerification(c)]),
      ...CRASHING.map((c): [string, Promise<void>] => [c.name, stoppedTyped(c)]),
      ['memory hog', heldUnderTheCeiling()],
      ['silent DNS', silentDns()],
      ['lone surrogate path', surrogatePath()],
      ['invalid UTF-8 denial targets', invalidUtf8Targets()],
      ['negative output length', negativeOutputLength()],
      ['backtracking input schema', backtrackingSchema()],
      ['exponential input schema', exponentialSchema()],
      ['existing hostile plugins', existingHostiles()],
      ['denial flood', denialFloodAttack()],
      ['telemetry series flood', telemetrySeriesFlood()],
    ];
    // Every attack runs to its end, and each failure is reported with its name.
    const started = performance.now();
    const took: string[] = [];
    const outcomes = await Promise.allSettled(
      attacks.map(([name, p]) =>
        p.finally(() =>
          took.push(`${name} ${((performance.now() - started) / 1000).toFixed(1)} s`),
        ),
      ),
    );
    console.info(`attacks ended: ${took.join(', ')}`);
    const failed = outcomes.flatMap((o, i) =>
      o.status === 'rejected' ? [`${attacks[i][0]}: ${String(o.reason)}`] : [],
    );
    expect(failed).toEqual([]);
  }, 150_000);

  it(`kept serving the bystander (no failure, p99 under ${BYSTANDER_P99_MS} ms) and never charged it`, async () => {
    stopped = true;
    await Promise.all(monitors);
    const sorted = calls.map((c) => c.ms).sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    console.info(
      `bystander: ${calls.length} calls, p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${sorted.at(-1)?.toFixed(0)} ms`,
    );
    expect(calls.length).toBeGreaterThan(20);
    expect(calls.filter((c) => !c.ok)).toEqual([]);
    expect(p99).toBeLessThan(BYSTANDER_P99_MS);
    expect((await audit(bystander)).map((e) => e.type)).not.toContain('plugin.crashed');
  });

  it(`kept the executor up and under ${EXECUTOR_RSS_MB} MiB, each sandbox under ${SANDBOX_MEMORY_MB} MiB`, () => {
    expect(health.length).toBeGreaterThan(10);
    expect(health.filter((h) => h.status !== 200)).toEqual([]);
    expect(() => process.kill(executorPid, 0)).not.toThrow();
    const maxExecutorMb = Math.max(...executorRss) / 1024;
    const sandboxMaxMb = Math.max(...[...sandboxRss.values()].flat()) / 1024;
    console.info(
      `executor RSS max ${maxExecutorMb.toFixed(0)} MiB; ${sandboxRss.size} sandbox processes, max seen ${sandboxMaxMb.toFixed(0)} MiB; healthz max ${Math.max(...health.map((h) => h.ms)).toFixed(0)} ms`,
    );
    expect(executorRss).not.toContain(-1);
    expect(maxExecutorMb).toBeLessThan(EXECUTOR_RSS_MB);
    // Never seen above the ceiling: every version's worst case fits it by construction.
    const ceilingKb = SANDBOX_MEMORY_MB * 1024;
    const over = [...sandboxRss].flatMap(([pid, samples]) =>
      samples.filter((kb) => kb > ceilingKb).map((kb) => ({ pid, kb })),
    );
    expect(over).toEqual([]);
  });

  it('wrote plugin logs redacted, escaped, capped and rate limited', () => {
    const log = readFileSync(join(info.logsDir, 'executor.log'), 'utf8');
    expect(log).not.toContain('\u001b');
    expect(log).not.toContain(FAKE_TOKEN);
    const lines = log.split('\n');
    expect(lines.filter((l) => l.startsWith('{"level":"fatal"'))).toEqual([]);
    expect(lines.filter((l) => l.includes('leak [REDACTED]')).length).toBeLessThan(50);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(64 * 1024);
  });
});
