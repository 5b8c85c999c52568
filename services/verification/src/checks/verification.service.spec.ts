import type { Manifest } from '@convergio/contracts';
import { EventSubjects } from '@convergio/contracts';
import type { ServiceHarness } from '@convergio/service-testing';
import { aManifest, exampleModule, sha256Hex } from '@convergio/testing';
import { startVerification } from '../verification.spec-helper.js';

const manifest = (id: string, module: Uint8Array, extra: Partial<Manifest> = {}) =>
  aManifest({ id, ...extra }, module);

/** A module importing the ABI's `http_request` as `(i32) -> i32`, not the (i64) -> i64 it has. */
function wrongTypedHostImport(): Uint8Array {
  const I32 = 0x7f;
  const name = (s: string) => [s.length, ...Buffer.from(s)];
  const section = (id: number, payload: number[]) => [id, payload.length, ...payload];
  return Uint8Array.from([
    ...[0, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, [1, 0x60, 1, I32, 1, I32]),
    ...section(2, [1, ...name('extism:host/user'), ...name('http_request'), 0x00, 0]),
  ]);
}

describe('verification service', () => {
  let h: ServiceHarness;
  let greet: Uint8Array;

  beforeAll(async () => {
    greet = exampleModule('greet.wasm');
    // Below the default 64 KiB, so that the setting is seen to apply.
    h = await startVerification({ inputSchemaBounds: { maxBytes: 2048, maxDepth: 32 } });
    await h.artifacts.put(greet);
  });
  afterAll(() => h?.close());

  async function submitted(id: string, m: Manifest, moduleSha = sha256Hex(greet)) {
    return h.bus.publish(EventSubjects.PluginSubmitted, {
      plugin_id: id,
      version: '1.0.0',
      manifest: m,
      module_sha256: moduleSha,
      module_size: greet.length,
      submitted_by: 'k',
      submitted_by_issuer: 'issuing-admin',
      publisher: 'acme',
    });
  }

  it("verifies a sound submission as untrusted, listing its high-risk permissions, who submitted it and who issued the submitting key's secret", async () => {
    const m = manifest('t.ok', greet, {
      permissions: { 'secrets.read': { ids: ['db'] }, 'fs.read': { paths: ['$PLUGIN_DIR'] } },
    });
    await submitted('t.ok', m);
    const verified = await h.waitFor(
      EventSubjects.PluginVerified,
      (e) => e.data.plugin_id === 't.ok',
    );
    expect(verified.data).toMatchObject({
      trust: 'untrusted',
      high_risk_permissions: ['secrets.read'],
      findings: [],
      module_sha256: sha256Hex(greet),
      submitted_by: 'k',
      submitted_by_issuer: 'issuing-admin',
      publisher: 'acme',
    });
  });

  it('rejects a tool input_schema over INPUT_SCHEMA_MAX_BYTES as set, naming the tool and the setting', async () => {
    const input_schema = { type: 'object', description: 'x'.repeat(2048) };
    const tools = [{ name: 'greet', function: 'greet', description: 'hi', input_schema }];
    await submitted('t.schema', manifest('t.schema', greet, { capabilities: { tools } }));
    const rejected = await h.waitFor(
      EventSubjects.PluginRejected,
      (e) => e.data.plugin_id === 't.schema',
    );
    expect(rejected.data.reasons).toEqual([
      expect.objectContaining({
        code: 'input_schema_too_large',
        path: '/capabilities/tools/0/input_schema',
        message: expect.stringContaining('more than 2048, the limit set by INPUT_SCHEMA_MAX_BYTES'),
      }),
    ]);
  });

  it('rejects a submission whose module is not in the artifact store', async () => {
    await submitted('t.lost', manifest('t.lost', greet), 'e'.repeat(64));
    const rejected = await h.waitFor(
      EventSubjects.PluginRejected,
      (e) => e.data.plugin_id === 't.lost',
    );
    expect(rejected.data).toMatchObject({
      stage: 'verification',
      reasons: [expect.objectContaining({ code: 'artifact_not_found' })],
    });
  });

  it('rejects a module importing a host function of the ABI with the wrong type, before any load', async () => {
    const module = wrongTypedHostImport();
    await h.artifacts.put(module);
    await submitted(
      't.typed',
      manifest('t.typed', module, { capabilities: {} }),
      sha256Hex(module),
    );
    const rejected = await h.waitFor(
      EventSubjects.PluginRejected,
      (e) => e.data.plugin_id === 't.typed',
    );
    expect(rejected.data.reasons).toEqual([
      {
        code: 'import_forbidden',
        message: 'import "extism:host/user" "http_request" must have type (i64) -> (i64)',
      },
    ]);
  });

  it('handles a redelivered event once', async () => {
    const m = manifest('t.once', greet);
    const id = await submitted('t.once', m);
    await h.waitFor(EventSubjects.PluginVerified, (e) => e.data.plugin_id === 't.once');
    expect(await h.redeliver(id)).toEqual({ kind: 'done' });
    const rows = await h.dataSource.query(
      `SELECT count(*)::int AS n FROM verification.processed_events WHERE event_id = $1`,
      [id],
    );
    expect(rows).toEqual([{ n: 1 }]);
    expect(
      h.events.filter(
        (e) =>
          e.type === 'plugin.verified' && (e.data as { plugin_id: string }).plugin_id === 't.once',
      ),
    ).toHaveLength(1);
  });
});
