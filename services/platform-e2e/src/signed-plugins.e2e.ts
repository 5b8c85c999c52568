import { tmpdir } from 'node:os';
import type { Manifest } from '@convergio/contracts';
import { encodeBase64url, generateSignerKeys, signManifest } from '@convergio/signing';
import { exampleModule, expectEventually, startPlatform, sha256Hex } from '@convergio/testing';
import {
  adminKey,
  api,
  bearer,
  createKey,
  greetManifest,
  submit,
  uniqueId,
  versionState,
} from './support/fixtures.js';
import { callHost } from './support/hostile.js';

/** A policy that lets native code run (proc.exec is denied by default): trust decides the rest. */
const POLICY = {
  filesystem: { roots: [{ path: tmpdir(), access: 'read-write' }] },
  permissions: { denied: [] },
};
const EXECUTORS = 2;

let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const started = await startPlatform({}, { executor: EXECUTORS }, POLICY);
  process.env.CONVERGIO_E2E_PLATFORM = JSON.stringify(started.info);
  stop = started.stop;
}, 120_000);

afterAll(async () => {
  await stop?.();
}, 60_000);

const hostile = exampleModule('hostile.wasm');
const tool = (name: string) => ({ name, function: name, description: name, input_schema: {} });

/** hostile.wasm (its `call_host` export calls any host function) asking to run /bin/echo. */
const nativeManifest = (id: string, version = '1.0.0'): Manifest =>
  greetManifest({
    id,
    version,
    entrypoint: 'hostile.wasm',
    capabilities: { tools: [tool('call_host'), tool('ping')] },
    permissions: { 'proc.exec': { binaries: ['/bin/echo'] } },
    signing: { sha256: sha256Hex(hostile) },
  });

async function submitted(publisher: string, manifest: unknown) {
  const res = await submit(publisher, manifest, hostile).query({ wait: 30 }).expect(202);
  return res.body as { status: string };
}

async function auditEvents(auditor: string, query: Record<string, string | number>) {
  const res = await api()
    .get('/v1/audit')
    .query({ limit: 500, ...query })
    .set(bearer(auditor))
    .expect(200);
  return res.body.events as { type: string; occurred_at: string; data: Record<string, unknown> }[];
}

async function signerIds(): Promise<string[]> {
  const listed = await api().get('/v1/signers').set(bearer(adminKey())).expect(200);
  return (listed.body as { signers: { id: string }[] }).signers.map((s) => s.id);
}

async function instancesThat(auditor: string, id: string, type: string): Promise<unknown[]> {
  return [
    ...new Set((await auditEvents(auditor, { plugin_id: id, type })).map((e) => e.data.instance)),
  ];
}

describe('signed plugins: a keyring, trust, native code', () => {
  const acme = generateSignerKeys();
  let publisher: string;
  let invoker: string;
  let auditor: string;
  let bystander: string;

  beforeAll(async () => {
    [publisher, invoker, auditor] = await Promise.all([
      createKey('publisher'),
      createKey('invoker'),
      createKey('auditor'),
    ]);
    bystander = uniqueId('bystander');
    await submit(publisher, greetManifest({ id: bystander }))
      .query({ wait: 30 })
      .expect(202);
  });

  it('adds a signer through the gateway (admin only, audited) and lists it', async () => {
    const body = { id: 'e2e-acme', public_key: encodeBase64url(acme.publicKey), trust: 'trusted' };
    await api().post('/v1/signers').set(bearer(publisher)).send(body).expect(403);
    const added = await api().post('/v1/signers').set(bearer(adminKey())).send(body).expect(201);
    expect(added.body).toMatchObject({ id: 'e2e-acme', status: 'active', trust: 'trusted' });
    expect(await signerIds()).toContain('e2e-acme');
    expect(
      (await auditEvents(auditor, { type: 'signer.added' })).map((e) => e.data.signer_id),
    ).toContain('e2e-acme');
  });

  it('refuses a small-order key with its code, and adds nothing', async () => {
    const identity = encodeBase64url(Uint8Array.from([1, ...new Array<number>(31).fill(0)]));
    const res = await api()
      .post('/v1/signers')
      .set(bearer(adminKey()))
      .send({ id: 'e2e-identity', public_key: identity, trust: 'official' })
      .expect(400);
    expect(res.body.error.details).toEqual([
      expect.objectContaining({ code: 'signer_key_small_order', path: '/public_key' }),
    ]);
    expect(await signerIds()).not.toContain('e2e-identity');
  });

  it('rejects an unsigned plugin asking for proc.exec, with the code in its record and the audit log', async () => {
    const id = uniqueId('unsigned-native');
    expect(await submitted(publisher, nativeManifest(id))).toMatchObject({ status: 'rejected' });
    const state = await versionState(publisher, id);
    expect(state.findings.map((f: { code: string }) => f.code)).toEqual(['proc_exec_untrusted']);
    const rejected = (await auditEvents(auditor, { plugin_id: id })).find(
      (e) => e.type === 'plugin.rejected',
    );
    expect(rejected?.data.reasons).toEqual([
      expect.objectContaining({ code: 'proc_exec_untrusted' }),
    ]);
  });

  let nativeId: string;

  it('runs native code for a signed plugin an admin designated trusted, and only then', async () => {
    nativeId = uniqueId('native');
    const signed = signManifest(nativeManifest(nativeId), hostile, acme.secretKey, 'e2e-acme');
    expect(await submitted(publisher, signed)).toMatchObject({ status: 'pending_approval' });
    const queue = await api().get('/v1/approvals').set(bearer(adminKey())).expect(200);
    expect(queue.body.items).toContainEqual(
      expect.objectContaining({
        plugin_id: nativeId,
        trust: 'untrusted',
        signed_by: expect.objectContaining({ signer_id: 'e2e-acme', trust: 'trusted' }),
      }),
    );
    const untrusted = await api()
      .post(`/v1/approvals/${nativeId}/1.0.0/approve`)
      .set(bearer(adminKey()))
      .send({})
      .expect(400);
    expect(untrusted.body.error.details).toEqual([
      expect.objectContaining({ code: 'proc_exec_untrusted' }),
    ]);
    // proc.exec and a trust designation take two different admins.
    const first = await api()
      .post(`/v1/approvals/${nativeId}/1.0.0/approve`)
      .set(bearer(adminKey()))
      .send({ trust: 'trusted', note: 'reviewed the echo call' })
      .expect(200);
    expect(first.body).toMatchObject({ status: 'pending', approvals_required: 2 });
    await api()
      .post(`/v1/approvals/${nativeId}/1.0.0/approve`)
      .query({ wait: 30 })
      .set(bearer(await createKey('admin')))
      .send({ note: 'second look' })
      .expect(200);
    await expectEventually(async () =>
      expect(await versionState(publisher, nativeId)).toMatchObject({
        status: 'approved',
        trust: 'trusted',
        loaded_on: expect.arrayContaining([expect.any(String), expect.any(String)]),
      }),
    );
    const answer = await callHost(invoker, nativeId, 'proc_exec', {
      binary: '/bin/echo',
      args: ['native', 'ok'],
    });
    expect(answer).toMatchObject({ exit_code: 0, stdout: 'native ok\n' });
  });

  it('rejects a new version signed by another signer (signer_changed) until an admin accepts it', async () => {
    const other = generateSignerKeys();
    await api()
      .post('/v1/signers')
      .set(bearer(adminKey()))
      .send({ id: 'e2e-other', public_key: encodeBase64url(other.publicKey), trust: 'trusted' })
      .expect(201);
    const next = signManifest(
      nativeManifest(nativeId, '1.1.0'),
      hostile,
      other.secretKey,
      'e2e-other',
    );
    expect(await submitted(publisher, next)).toMatchObject({ status: 'rejected' });
    const state = await versionState(publisher, nativeId, '1.1.0');
    expect(state.findings.map((f: { code: string }) => f.code)).toEqual(['signer_changed']);
    await api()
      .put(`/v1/plugins/${nativeId}/signer`)
      .set(bearer(adminKey()))
      .send({ signer_id: 'e2e-other' })
      .expect(200);
    const again = signManifest(
      nativeManifest(nativeId, '1.2.0'),
      hostile,
      other.secretKey,
      'e2e-other',
    );
    expect(await submitted(publisher, again)).toMatchObject({ status: 'pending_approval' });
    expect(
      (await auditEvents(auditor, { plugin_id: nativeId, type: 'plugin.signer_changed' })).length,
    ).toBe(1);
  });

  it('revokes a signer: every version it signed is unloaded on every replica within a second, later submissions refused', async () => {
    // Calls spread over the replicas in their queue group: each loads the version on its first.
    await expectEventually(async () => {
      await Promise.all(
        Array.from({ length: 8 }, () =>
          api()
            .post(`/v1/plugins/${nativeId}/invoke`)
            .set(bearer(invoker))
            .send({ function: 'ping', input: {} })
            .expect(200),
        ),
      );
      expect(await instancesThat(auditor, nativeId, 'plugin.loaded')).toHaveLength(EXECUTORS);
    });
    const revokedAt = Date.now();
    const revoked = await api().delete('/v1/signers/e2e-acme').set(bearer(adminKey())).expect(200);
    expect(revoked.body).toMatchObject({
      signer: { id: 'e2e-acme', status: 'revoked' },
      revoked_versions: [{ plugin_id: nativeId, version: '1.0.0' }],
    });
    const unloads = await expectEventually(async () => {
      const events = await auditEvents(auditor, { plugin_id: nativeId, type: 'plugin.unloaded' });
      const revokedUnloads = events.filter((e) => e.data.reason === 'revoked');
      expect(new Set(revokedUnloads.map((e) => e.data.instance)).size).toBe(EXECUTORS);
      return revokedUnloads;
    });
    for (const unload of unloads)
      expect(Date.parse(unload.occurred_at) - revokedAt).toBeLessThan(1000);
    const call = await api()
      .post(`/v1/plugins/${nativeId}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'ping', input: {} });
    expect(call.status).toBeGreaterThanOrEqual(400);
    const after = signManifest(
      nativeManifest(uniqueId('after')),
      hostile,
      acme.secretKey,
      'e2e-acme',
    );
    expect(await submitted(publisher, after)).toMatchObject({ status: 'rejected' });
    expect(
      (await versionState(publisher, after.id)).findings.map((f: { code: string }) => f.code),
    ).toEqual(expect.arrayContaining(['signer_revoked']));
    const res = await api()
      .post('/v1/plugins/' + bystander + '/invoke')
      .set(bearer(invoker))
      .send({ function: 'greet', input: { name: 'Ada' } })
      .expect(200);
    expect(res.body.output).toEqual({ greeting: 'Hello, Ada!' });
  });
});
