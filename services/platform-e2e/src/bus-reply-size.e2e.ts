// Replies that would not fit the bus (NATS max_payload, 1 MiB on the test server): pages are cut
// by bytes and carry a cursor, anything else is refused at once with a code naming the limit.
// Found by an attack review: one publisher's large manifests made the audit log and tool list 503.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceMain, startPlatform } from '@convergio/testing';

let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const started = await startPlatform({});
  process.env.CONVERGIO_E2E_PLATFORM = JSON.stringify(started.info);
  stop = started.stop;
}, 120_000);

afterAll(async () => {
  await stop?.();
}, 60_000);

const { api, bearer, createKey, greetManifest, submit, versionState } =
  await import('./support/fixtures.js');
const { expectEventually } = await import('@convergio/testing');
const { deployHostile } = await import('./support/hostile.js');

/** The NATS server's max_payload the test platform runs with (the default). */
const MAX_PAYLOAD = 1024 * 1024;

interface AuditPage {
  events: { seq: number; plugin_id: string | null }[];
  next_cursor: string | null;
}
interface ToolsPage {
  tools: { plugin_id: string; name: string }[];
  next_cursor: string | null;
}

/** Four tools whose input_schema is 60 KB each: a 240 KB plugin.json, under the 256 KiB limit. */
const bigTools = [0, 1, 2, 3].map((i) => ({
  name: `t${i}`,
  function: 'greet',
  description: 'big schema',
  input_schema: { type: 'object', description: 'x'.repeat(60_000) },
}));

describe('replies larger than the bus carries', () => {
  const ids: string[] = [];
  let publisher: string;
  let auditor: string;

  beforeAll(async () => {
    [publisher, auditor] = await Promise.all([createKey('publisher'), createKey('auditor')]);
    // Five plugins of 240 KB manifests, the first in two versions: every event of a version
    // carries its manifest, so one plugin's audit events and all their tools are over 1 MiB.
    for (let p = 0; p < 5; p++) {
      const base = greetManifest();
      ids.push(base.id);
      for (const version of p === 0 ? ['1.0.0', '1.1.0'] : ['1.0.0']) {
        const res = await submit(publisher, {
          ...base,
          version,
          capabilities: { tools: bigTools },
        });
        expect(res.status).toBe(202);
        await expectEventually(async () =>
          expect((await versionState(publisher, base.id, version)).status).toBe('approved'),
        );
      }
    }
  }, 300_000);

  it('cuts audit pages by bytes, with a cursor to page on through every event', async () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const t0 = Date.now();
      const res = await api()
        .get('/v1/audit')
        .query({ plugin_id: ids[0], ...(cursor && { cursor }) })
        .set(bearer(auditor));
      expect(res.status).toBe(200);
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(Buffer.byteLength(res.text)).toBeLessThan(MAX_PAYLOAD);
      const page = res.body as AuditPage;
      expect(page.events.length).toBeGreaterThan(0);
      seen.push(...page.events.map((e) => e.seq));
      pages++;
      if (page.next_cursor === null) break;
      cursor = page.next_cursor;
    }
    // More than one page although far fewer events than the default limit of 100.
    expect(pages).toBeGreaterThan(1);
    expect(seen.length).toBeLessThan(100);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    // The export (pages of up to 500 events) holds the same events first; the log only grows,
    // so an event recorded since (the version's plugin.loaded, say) may follow them.
    const exported = await api()
      .get('/v1/audit/export')
      .query({ plugin_id: ids[0] })
      .set(bearer(auditor));
    expect(exported.status).toBe(200);
    const lines = exported.text
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(lines.slice(0, seen.length)).toEqual(seen);
    for (const seq of lines.slice(seen.length)) expect(seq).toBeGreaterThan(seen.at(-1)!);
  }, 120_000);

  it('answers the unfiltered audit page and a one-event page at once', async () => {
    const all = await api().get('/v1/audit').set(bearer(auditor));
    expect(all.status).toBe(200);
    expect((all.body as AuditPage).next_cursor).not.toBeNull();
    const one = await api()
      .get('/v1/audit')
      .query({ plugin_id: ids[1], limit: 1 })
      .set(bearer(auditor));
    expect(one.status).toBe(200);
    expect((one.body as AuditPage).events).toHaveLength(1);
  });

  it('pages GET /v1/tools by bytes, every tool exactly once', async () => {
    const invoker = await createKey('invoker');
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const t0 = Date.now();
      const res = await api()
        .get('/v1/tools')
        .query(cursor ? { cursor } : {})
        .set(bearer(invoker));
      expect(res.status).toBe(200);
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(Buffer.byteLength(res.text)).toBeLessThan(MAX_PAYLOAD);
      const page = res.body as ToolsPage;
      seen.push(...page.tools.map((t) => `${t.plugin_id}/${t.name}`));
      pages++;
      if (page.next_cursor === null) break;
      cursor = page.next_cursor;
    }
    expect(pages).toBeGreaterThan(1);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of ids) for (const t of bigTools) expect(seen).toContain(`${id}/${t.name}`);
  }, 120_000);

  it('refuses a tools cursor it did not hand out, naming the field', async () => {
    const res = await api()
      .get('/v1/tools')
      .query({ cursor: 'bm90LWEtY3Vyc29y' })
      .set(bearer(auditor));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details).toContainEqual(expect.objectContaining({ path: '/cursor' }));
  });
});

/** 64 net.http rules of a 247-character host and a 1000-character path: an 83 KB plugin.json. */
const bigHttp = (tag: string) => ({
  'net.http': {
    rules: Array.from({ length: 64 }, (_, i) => ({
      host: `${tag}-${i}.${'h'.repeat(60)}.${'o'.repeat(60)}.${'s'.repeat(60)}.example`.slice(-247),
      methods: ['GET' as const, 'POST' as const],
      path_prefix: `/${'p'.repeat(1000)}`,
    })),
  },
});

describe('an approval queue larger than the bus carries', () => {
  const id = greetManifest().id;
  const versions = Array.from({ length: 14 }, (_, i) => `1.${i}.0`);
  let admin: string;

  beforeAll(async () => {
    let publisher: string;
    [publisher, admin] = await Promise.all([createKey('publisher'), createKey('admin')]);
    // Fourteen pending versions of one publisher's 83 KB manifest: over 1 MiB of reviews.
    for (const version of versions) {
      const res = await submit(publisher, {
        ...greetManifest({ id, version }),
        permissions: bigHttp(version.replace(/\./g, '-')),
      });
      expect(res.status).toBe(202);
    }
    for (const version of versions)
      await expectEventually(async () =>
        expect((await versionState(publisher, id, version)).status).toBe('pending_approval'),
      );
  }, 300_000);

  it('pages GET /v1/approvals by bytes with a cursor, every pending version once, no 502', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const res = await api()
        .get('/v1/approvals')
        .query({ status: 'pending', ...(cursor && { cursor }) })
        .set(bearer(admin));
      expect(res.status).toBe(200);
      expect(Buffer.byteLength(res.text)).toBeLessThan(MAX_PAYLOAD);
      const page = res.body as {
        items: { plugin_id: string; version: string }[];
        next_cursor: string | null;
      };
      expect(page.items.length).toBeGreaterThan(0);
      seen.push(...page.items.map((i) => `${i.plugin_id}@${i.version}`));
      pages++;
      if (page.next_cursor === null) break;
      cursor = page.next_cursor;
    }
    expect(pages).toBeGreaterThan(1);
    expect(new Set(seen).size).toBe(seen.length);
    for (const version of versions) expect(seen).toContain(`${id}@${version}`);
    const small = await api().get('/v1/approvals').query({ limit: 2 }).set(bearer(admin));
    expect(small.status).toBe(200);
    expect(small.body.items).toHaveLength(2);
    expect(small.body.next_cursor).toEqual(expect.any(String));
  }, 120_000);

  it('refuses an approvals cursor it did not hand out, naming the field', async () => {
    const res = await api()
      .get('/v1/approvals')
      .query({ cursor: 'bm90LWEtY3Vyc29y' })
      .set(bearer(admin));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details).toContainEqual(expect.objectContaining({ path: '/cursor' }));
  });
});

describe('plugin output larger than the bus carries', () => {
  let invoker: string;
  let hostile: string;
  let dir: string;

  beforeAll(async () => {
    let publisher: string;
    [invoker, publisher] = await Promise.all([createKey('invoker'), createKey('publisher')]);
    dir = mkdtempSync(join(tmpdir(), 'cvg-reply-size-'));
    writeFileSync(join(dir, 'big.txt'), 'a'.repeat(2 * 1024 * 1024));
    writeFileSync(join(dir, 'third.txt'), 'a'.repeat(300 * 1024));
    writeFileSync(join(dir, 'small.txt'), 'hello');
    hostile = await deployHostile(publisher, {
      permissions: { 'fs.read': { paths: [dir] } },
      limits: { fuel: 50_000_000, max_host_calls: 1000 },
    });
  }, 120_000);

  const read = (file: string) => ({ fn: 'fs_read', arg: { path: join(dir, file) } });

  it('refuses an output over EXECUTOR_MAX_OUTPUT_BYTES at once, naming the setting', async () => {
    const t0 = Date.now();
    const res = await api()
      .post(`/v1/plugins/${hostile}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'call_host', input: read('big.txt') });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('plugin_failed');
    expect(JSON.stringify(res.body)).toContain('EXECUTOR_MAX_OUTPUT_BYTES');
    expect(JSON.stringify(res.body)).not.toMatch(/internal error|MAX_PAYLOAD_EXCEEDED|NatsError/);
  }, 60_000);

  it('answers the calls of a batch whose outputs together pass one reply with reply_too_large, at once; a bystander is served', async () => {
    const t0 = Date.now();
    const res = await api()
      .post(`/v1/plugins/${hostile}/invoke-batch`)
      .set(bearer(invoker))
      .send({
        calls: [1, 2, 3, 4, 5].map(() => ({ function: 'call_host', input: read('third.txt') })),
      });
    expect(Date.now() - t0).toBeLessThan(10_000);
    // Outputs of 300 KiB share the 512 KiB of EXECUTOR_MAX_OUTPUT_BYTES: one fits, whichever
    // ends first; the others are refused, and the batch answers.
    expect(res.status).toBe(200);
    const results = res.body.results as {
      output?: unknown;
      error?: { code: string; message: string };
    }[];
    expect(results.filter((r) => r.output !== undefined)).toHaveLength(1);
    const refused = results.filter((r) => r.error);
    expect(refused).toHaveLength(4);
    for (const r of refused) {
      expect(r.error!.code).toBe('reply_too_large');
      expect(r.error!.message).toContain('EXECUTOR_MAX_OUTPUT_BYTES');
    }
    // The executor is still serving: the same plugin, and a single call of the same file.
    const small = await api()
      .post(`/v1/plugins/${hostile}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'call_host', input: read('small.txt') })
      .expect(200);
    expect(small.body.output).toEqual(expect.objectContaining({ content: 'hello' }));
    await api()
      .post(`/v1/plugins/${hostile}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'call_host', input: read('third.txt') })
      .expect(200);
  }, 120_000);
});

describe('a request larger than the bus carries', () => {
  it('is refused with 413 payload_too_large naming its size, the max_payload and the setting, not 503', async () => {
    const invoker = await createKey('invoker');
    // Under GATEWAY_MAX_INVOKE_BYTES as sent (5 bytes a number), over max_payload once parsed
    // and sent on (1e20 is written out: 22 bytes a number).
    const input = Array.from({ length: 50_000 }, () => 1e20);
    const body = `{"function":"greet","input":[${Array(50_000).fill('1e20').join(',')}]}`;
    expect(Buffer.byteLength(body)).toBeLessThan(256 * 1024);
    expect(Buffer.byteLength(JSON.stringify(input))).toBeGreaterThan(MAX_PAYLOAD);
    const t0 = Date.now();
    const res = await api()
      .post(`/v1/plugins/${greetManifest().id}/invoke`)
      .set(bearer(invoker))
      .set('content-type', 'application/json')
      .send(body);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(res.body.error.message).toMatch(/^the request to the executor is \d+ bytes/);
    expect(res.body.error.message).toContain(`NATS max_payload ${MAX_PAYLOAD} bytes`);
    expect(res.body.error.message).toContain('GATEWAY_MAX_INVOKE_BYTES');
  });
});

/**
 * Starts `service` of the running platform with `env` added, and waits for it to exit: its exit
 * code and what it wrote to stderr.
 */
async function bootRefusal(service: string, env: Record<string, string>) {
  const { natsUrl, busPrefix } = JSON.parse(process.env.CONVERGIO_E2E_PLATFORM!) as {
    natsUrl: string;
    busPrefix: string;
  };
  const child = spawn(process.execPath, [serviceMain(service)], {
    env: {
      PATH: process.env.PATH,
      NATS_URL: natsUrl,
      BUS_PREFIX: busPrefix,
      // Never reached: the bus is checked first.
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
      ARTIFACT_DIR: mkdtempSync(join(tmpdir(), 'cvg-reply-size-boot-')),
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(stderr).not.toMatch(/\n\s+at /);
  return { code, stderr };
}

describe('a size limit the bus cannot carry', () => {
  it('stops the executor at boot, naming EXECUTOR_MAX_OUTPUT_BYTES and the max_payload', async () => {
    const { code, stderr } = await bootRefusal('executor', {
      EXECUTOR_MAX_OUTPUT_BYTES: String(2 * 1024 * 1024),
    });
    expect(code).toBe(1);
    expect(stderr).toContain('EXECUTOR_MAX_OUTPUT_BYTES: expected at most 983040 bytes');
    expect(stderr).toContain(`max_payload, ${MAX_PAYLOAD} bytes`);
    expect(stderr).toContain('got 2097152');
  }, 60_000);

  it('stops the gateway at boot, naming GATEWAY_MAX_INVOKE_BYTES, GATEWAY_MAX_MANIFEST_BYTES and the max_payload', async () => {
    const { code, stderr } = await bootRefusal('gateway', {
      GATEWAY_MAX_INVOKE_BYTES: String(2 * 1024 * 1024),
      GATEWAY_MAX_MANIFEST_BYTES: String(4 * 1024 * 1024),
      // The module never travels on the bus: any size is the operator's to set.
      GATEWAY_MAX_MODULE_BYTES: String(64 * 1024 * 1024),
    });
    expect(code).toBe(1);
    expect(stderr).toContain('Invalid configuration (2 variables)');
    expect(stderr).toContain('GATEWAY_MAX_INVOKE_BYTES: expected at most 983040 bytes');
    expect(stderr).toContain('GATEWAY_MAX_MANIFEST_BYTES: expected at most 983040 bytes');
    expect(stderr).toContain(`max_payload, ${MAX_PAYLOAD} bytes`);
    expect(stderr).toContain('got 2097152');
    expect(stderr).toContain('got 4194304');
  }, 60_000);
});
