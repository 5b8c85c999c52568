import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { ENVELOPE_VERSION, type Manifest } from '@convergio/contracts';
import { releaseEventSubjects } from '@convergio/messaging';
import {
  aManifest,
  connectTestNats,
  createPublisherKey,
  exampleModule,
  expectEventually,
  sha256Hex,
  startPlatform,
  type PlatformInfo,
} from '@convergio/testing';

/** What the broker answers on the bus (a token, a value, or the plugin's error). */
interface BrokerReply {
  ok: boolean;
  data?: { token?: string; value?: string; error?: { code: string; message: string } };
}

/**
 * A platform for the secrets suites, with everything it says captured: every bus event (values
 * travel only in request replies, broker to executor) and every HTTP reply the tests received.
 * Plugins are hostile.wasm (`leak_secret` tries every way out for a value it read).
 */
export class SecretPlatform {
  /** Every event published on the platform's bus, as JSON text. */
  readonly events: string[] = [];
  /** Every HTTP reply body the tests got. */
  readonly replies: string[] = [];
  readonly module = exampleModule('hostile.wasm');
  private readonly publishers: Record<string, string> = {};

  private constructor(
    readonly info: PlatformInfo,
    private readonly stopPlatform: () => Promise<void>,
    private readonly stopCapture: () => Promise<void>,
  ) {}

  /** Starts the seven services with `env` and captures their events. */
  static async start(env: Record<string, string>): Promise<SecretPlatform> {
    const { info, stop } = await startPlatform(env);
    const nc = await connectTestNats();
    const subjects = new Set(releaseEventSubjects(info.busPrefix));
    const platform = new SecretPlatform(info, stop, () => nc.drain());
    const sub = nc.subscribe(`${info.busPrefix}.>`);
    void (async () => {
      for await (const m of sub)
        if (subjects.has(m.subject)) platform.events.push(new TextDecoder().decode(m.data));
    })();
    return platform;
  }

  async stop(): Promise<void> {
    await this.stopCapture();
    await this.stopPlatform();
  }

  auth() {
    return { Authorization: `Bearer ${this.info.adminKey}` };
  }

  /** Keeps a reply's body for the leak check, and returns the reply. */
  record(res: request.Response): request.Response {
    this.replies.push(res.text);
    return res;
  }

  /** Every service log line so far. */
  async logs(): Promise<string> {
    const dir = this.info.logsDir;
    const files = await readdir(dir);
    return (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('\n');
  }

  /** Submits hostile.wasm as `id`@`version` with `permissions` and sees it approved. */
  async publishApproved(id: string, permissions: Manifest['permissions'], version = '1.0.0') {
    const tool = (name: string) => ({ name, function: name, description: name, input_schema: {} });
    const manifest = aManifest(
      {
        id,
        version,
        entrypoint: 'hostile.wasm',
        capabilities: { tools: [tool('leak_secret'), tool('call_host')] },
        permissions: { ...permissions, 'telemetry.emit': {} },
      },
      this.module,
    );
    const { gatewayUrl, adminKey } = this.info;
    const publisher = (this.publishers[id] ??= await createPublisherKey(gatewayUrl, adminKey));
    await request(gatewayUrl)
      .post('/v1/plugins')
      .set({ Authorization: `Bearer ${publisher}` })
      .attach('manifest', Buffer.from(JSON.stringify(manifest)), 'plugin.json')
      .attach('module', this.module, 'hostile.wasm')
      .expect(202);
    // Approved by an admin, or by itself when it asks for nothing new (a later version).
    await expectEventually(
      async () => {
        const path = `${id}/versions/${version}`;
        const state = await request(gatewayUrl).get(`/v1/plugins/${path}`).set(this.auth());
        if (state.body.status === 'approved') return;
        if (state.body.status === 'pending_approval')
          await request(gatewayUrl)
            .post(`/v1/approvals/${id}/${version}/approve`)
            .set(this.auth())
            .send({})
            .expect(200);
        throw new Error(`${id}@${version} is ${String(state.body.status)}`);
      },
      { timeoutMs: 20_000 },
    );
  }

  async invoke(id: string, fn: string, input: unknown) {
    return this.record(
      await request(this.info.gatewayUrl)
        .post(`/v1/plugins/${id}/invoke`)
        .set(this.auth())
        .send({ function: fn, input }),
    );
  }

  /** `leak_secret` of `secret` as plugin `id`, once the broker has seen the approval. */
  readEventually(id: string, secret: string) {
    return expectEventually(
      async () => {
        const res = await this.invoke(id, 'leak_secret', { id: secret });
        expect(res.body.output ?? res.body.error).not.toMatchObject({
          error: { message: expect.stringMatching(/not approved for secrets/) },
        });
        return res;
      },
      { timeoutMs: 20_000 },
    );
  }

  /** The audit log's events of one type for one plugin. */
  async audit(id: string, type: string) {
    const res = await request(this.info.gatewayUrl)
      .get('/v1/audit')
      .query({ plugin_id: id, type, limit: 100 })
      .set(this.auth())
      .expect(200);
    return (res.body as { events: { data: Record<string, unknown> }[] }).events;
  }

  /** A request as any process on the bus could send it (until per-service bus credentials). */
  async onBus(subject: string, data: unknown): Promise<BrokerReply> {
    const nc = await connectTestNats();
    try {
      const id = randomUUID();
      const envelope = {
        id,
        type: subject,
        version: ENVELOPE_VERSION,
        occurred_at: new Date().toISOString(),
        source: 'e2e-attacker',
        correlation_id: id,
        data,
      };
      const reply = await nc.request(
        `${this.info.busPrefix}.${subject}`,
        JSON.stringify(envelope),
        {
          timeout: 10_000,
        },
      );
      return reply.json<BrokerReply>();
    } finally {
      await nc.close();
    }
  }

  /** A token the broker issues for a version of hostile.wasm. */
  async tokenFor(plugin_id: string, version = '1.0.0'): Promise<string> {
    const module_sha256 = sha256Hex(this.module);
    const reply = await this.onBus('secrets.token.issue', { plugin_id, version, module_sha256 });
    if (!reply.data?.token) throw new Error(`no token: ${JSON.stringify(reply)}`);
    return reply.data.token;
  }

  /** What the broker answers a read with `token`. */
  async readWith(token: string, plugin_id: string, secret_id = 'db-password', version = '1.0.0') {
    return (await this.onBus('secrets.read', { token, plugin_id, version, secret_id })).data;
  }
}
