import {
  acceptedPackage,
  corpusSuffix,
  HOSTILE_PACKAGES,
  hostileContext,
  priorVersion,
  type CorpusSigner,
  type HostileEntry,
  type HostilePackage,
} from '@convergio/manifest/testing';
import { expectEventually } from '@convergio/testing';
import {
  adminKey,
  api,
  auditTypes,
  bearer,
  createKey,
  greetManifest,
  submit,
  versionState,
} from './support/fixtures.js';

const WAIT_SECONDS = 30;
/** Submissions in flight at once: the platform shares 2 cores with the test runner. */
const BATCH = 6;

const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, i * size + size),
  );

/** Submits a package as a publisher's CLI would, waiting for verification and approval. */
function submitPackage(key: string, pkg: HostilePackage) {
  const request = api()
    .post('/v1/plugins')
    .query({ wait: WAIT_SECONDS })
    .set(bearer(key))
    .attach('manifest', Buffer.from(pkg.manifest), 'plugin.json')
    .attach('module', Buffer.from(pkg.module), 'plugin.wasm');
  return pkg.sbom ? request.attach('sbom', Buffer.from(pkg.sbom), 'sbom.json') : request;
}

/** The corpus (libs/manifest/src/testing) through the gateway, on the shared platform. */
describe('hostile packages through the gateway', () => {
  const ctx = hostileContext(corpusSuffix());
  const active = HOSTILE_PACKAGES;
  let publisher: string;
  let invoker: string;
  let auditor: string;
  let bystander: string;

  const admin = () => bearer(adminKey());
  const refused = Object.values(ctx.signers).filter((s) => s.refusedWith);

  /** Adds a signer as the corpus needs it: first key, rotation, revocation. */
  async function addSigner(signer: CorpusSigner) {
    await api()
      .post('/v1/signers')
      .set(admin())
      .send({
        id: signer.id,
        public_key: base64url((signer.previousKey ?? signer.key).publicKey),
        trust: signer.trust,
      })
      .expect(201);
    if (signer.previousKey)
      await api()
        .post(`/v1/signers/${signer.id}/rotate`)
        .set(admin())
        .send({ public_key: base64url(signer.key.publicKey) })
        .expect(200);
    if (signer.revoked) await api().delete(`/v1/signers/${signer.id}`).set(admin()).expect(200);
  }

  /** Version 1.0.0 signed by the entry's `pinnedTo` signer, approved, and that signer pinned. */
  async function approvePrior(entry: HostileEntry) {
    const res = await submitPackage(publisher, priorVersion(ctx, entry)).expect(202);
    expect(res.body).toMatchObject({ status: 'approved' });
    // Approval pins the signer through an event verification handles on its own; the API
    // shows no pin, so the admin's explicit acceptance of the same signer makes it certain.
    await api()
      .put(`/v1/plugins/${ctx.pluginId(entry.name)}/signer`)
      .set(admin())
      .send({ signer_id: ctx.signers[entry.pinnedTo!].id })
      .expect(200);
  }

  beforeAll(async () => {
    [publisher, invoker, auditor] = await Promise.all([
      createKey('publisher'),
      createKey('invoker'),
      createKey('auditor'),
    ]);
    const greet = greetManifest();
    bystander = greet.id;
    await submit(publisher, greet).query({ wait: WAIT_SECONDS }).expect(202);
    for (const signer of Object.values(ctx.signers).filter((s) => !s.refusedWith))
      await addSigner(signer);
    await Promise.all(active.filter((e) => e.pinnedTo).map(approvePrior));
  }, 120_000);

  it.each(refused.map((s) => [s.id, s] as const))(
    'the keyring refuses to add %s, whose key no signature may be checked with',
    async (_id, signer) => {
      const res = await api()
        .post('/v1/signers')
        .set(admin())
        .send({ id: signer.id, public_key: base64url(signer.key.publicKey), trust: 'trusted' })
        .expect(400);
      expect(res.body.error.details).toContainEqual(
        expect.objectContaining({ code: signer.refusedWith }),
      );
    },
  );

  it('approves the untampered package the signature entries start from', async () => {
    const res = await submitPackage(
      publisher,
      acceptedPackage(ctx, ctx.pluginId('control')),
    ).expect(202);
    expect(res.body).toMatchObject({ status: 'approved' });
  });

  /** A gateway-stage entry: 4xx naming the code, nothing stored, nothing recorded. */
  async function refusedAtGateway(entry: HostileEntry) {
    const res = await submitPackage(publisher, entry.build(ctx));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const error = res.body.error as { code: string; details?: { code: string }[] };
    expect([error.code, ...(error.details ?? []).map((d) => d.code)]).toContain(entry.expect.code);
    const id = ctx.pluginId(entry.name);
    await api().get(`/v1/plugins/${id}`).set(bearer(auditor)).expect(404);
    expect(await auditTypes(auditor, id)).toEqual([]);
  }

  /** A verification-stage entry: rejected with the code, never loaded, audited with the code. */
  async function rejectedByVerification(entry: HostileEntry) {
    const pkg = entry.build(ctx);
    const { id, version } = JSON.parse(String(pkg.manifest)) as { id: string; version: string };
    const res = await submitPackage(publisher, pkg).expect(202);
    expect(res.body).toMatchObject({ status: 'rejected' });
    const state = await versionState(auditor, id, version);
    expect(state).toMatchObject({ status: 'rejected', loaded: false });
    expect(state.findings.map((f) => f.code)).toContain(entry.expect.code);
    if (entry.expect.rule)
      expect(state.findings).toContainEqual(
        expect.objectContaining({ code: 'policy_violation', rule: entry.expect.rule }),
      );
    await expectEventually(async () => {
      expect(await auditTypes(auditor, id)).toEqual(
        expect.arrayContaining(['plugin.submitted', 'plugin.rejected']),
      );
      const rejections = await api()
        .get('/v1/audit')
        .query({ plugin_id: id, type: 'plugin.rejected', limit: 100 })
        .set(bearer(auditor))
        .expect(200);
      const events = rejections.body.events as {
        data: { version: string; reasons: { code: string }[] };
      }[];
      const reasons = events.filter((e) => e.data.version === version)[0]?.data.reasons ?? [];
      expect(reasons.map((r) => r.code)).toContain(entry.expect.code);
    });
  }

  /** Runs the entries of one batch at once; every entry that fails is reported by name. */
  async function runBatch(entries: HostileEntry[]) {
    const outcomes = await Promise.allSettled(
      entries.map((e) =>
        e.expect.stage === 'gateway' ? refusedAtGateway(e) : rejectedByVerification(e),
      ),
    );
    const failures = outcomes.flatMap((o, i) =>
      o.status === 'rejected' ? [`${entries[i].name}: ${String(o.reason)}`] : [],
    );
    expect(failures).toEqual([]);
  }

  it.each(chunks(active, BATCH).map((batch) => [batch.map((e) => e.name).join(' | '), batch]))(
    'refuses with its code: %s',
    async (_names, batch) => runBatch(batch),
    WAIT_SECONDS * 1000 + 30_000,
  );

  it('still serves the plugin approved before the corpus ran', async () => {
    const res = await api()
      .post(`/v1/plugins/${bystander}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'greet', input: { name: 'Ada' } })
      .expect(200);
    expect(JSON.stringify(res.body)).toContain('Ada');
  });
});
