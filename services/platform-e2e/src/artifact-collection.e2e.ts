import { readdir, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from '@convergio/contracts';
import { encodeBase64url, generateSignerKeys, signManifest } from '@convergio/signing';
import { expectEventually, sha256Hex, startPlatform } from '@convergio/testing';
import {
  adminKey,
  api,
  bearer,
  createKey,
  greetManifest,
  greetModule,
  submit,
  versionState,
} from './support/fixtures.js';
import { platform } from './support/platform.js';

// Nothing refused stays in the artifact store, including what verification or
// an admin rejects after the submission was accepted (ADR 0019).

let restart: ((name: string) => Promise<void>) | undefined;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const started = await startPlatform();
  process.env.CONVERGIO_E2E_PLATFORM = JSON.stringify(started.info);
  stop = started.stop;
  restart = started.restart;
}, 120_000);

afterAll(async () => {
  await stop?.();
}, 60_000);

/** The greet module with a custom section of its own: same behaviour, a hash of its own. */
function variant(tag: string): Buffer {
  const name = Buffer.from('e2e-gc');
  const payload = Buffer.concat([Buffer.from([name.length]), name, Buffer.from(tag)]);
  if (payload.length > 127) throw new Error('tag too long for a one-byte section size');
  return Buffer.concat([greetModule(), Buffer.from([0, payload.length]), payload]);
}

/** The files of the content-addressed part of the store (staged uploads are not counted). */
const storedFiles = async () =>
  (await readdir(join(platform().artifactDir, 'sha256'), { recursive: true }))
    .filter((f) => f.includes('/'))
    .sort();
const pathOf = (bytes: Buffer) => {
  const digest = sha256Hex(bytes);
  return `${digest.slice(0, 2)}/${digest}`;
};

const tool = (input_schema: Record<string, unknown>) => ({
  name: 'greet',
  function: 'greet',
  description: 'greets',
  input_schema,
});

describe('artifacts of rejected versions', () => {
  const signer = generateSignerKeys();
  const impostor = generateSignerKeys();
  let publisher: string;
  let invoker: string;
  let bystanderId: string;

  const greet = (id: string) =>
    api()
      .post(`/v1/plugins/${id}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'greet', input: { name: 'Ada' } });

  beforeAll(async () => {
    [publisher, invoker] = await Promise.all([createKey('publisher'), createKey('invoker')]);
    await api()
      .post('/v1/signers')
      .set(bearer(adminKey()))
      .send({ id: 'e2e-gc', public_key: encodeBase64url(signer.publicKey), trust: 'trusted' })
      .expect(201);
    // A version that runs, on the greet module's own bytes.
    const bystander = greetManifest();
    bystanderId = bystander.id;
    const res = await submit(publisher, bystander).query({ wait: 30 }).expect(202);
    expect(res.body.status).toBe('approved');
    await expectEventually(async () => expect((await greet(bystanderId)).status).toBe(200));
  });

  /** Each way verification refuses a submission the gateway accepted: the manifest and module. */
  const refusals: [string, string, (module: Buffer) => Manifest][] = [
    [
      'a bad signature',
      'signature_invalid',
      (module) =>
        signManifest(
          greetManifest({ signing: { sha256: sha256Hex(module) } }),
          module,
          impostor.secretKey,
          'e2e-gc',
        ),
    ],
    [
      'an unknown signer',
      'signer_unknown',
      (module) =>
        signManifest(
          greetManifest({ signing: { sha256: sha256Hex(module) } }),
          module,
          impostor.secretKey,
          'e2e-nobody',
        ),
    ],
    [
      'min_core_version 99.0.0',
      'core_version_incompatible',
      (module) =>
        greetManifest({ min_core_version: '99.0.0', signing: { sha256: sha256Hex(module) } }),
    ],
    [
      'an input_schema that does not compile',
      'input_schema_invalid',
      (module) =>
        greetManifest({
          signing: { sha256: sha256Hex(module) },
          capabilities: {
            tools: [tool({ type: 'object', properties: { a: { type: 'nonsense' } } })],
          },
        }),
    ],
  ];

  it.each(refusals)(
    'leaves no file for a version rejected for %s',
    async (_what, code, manifestOf) => {
      const before = await storedFiles();
      const module = variant(code);
      const manifest = manifestOf(module);
      const res = await submit(publisher, manifest, module).query({ wait: 30 }).expect(202);
      expect(res.body.status).toBe('rejected');
      const state = await versionState(publisher, manifest.id);
      expect(state.findings.map((f) => f.code)).toContain(code);
      await expectEventually(async () => expect(await storedFiles()).toEqual(before));
      expect(before).not.toContain(pathOf(module));
      expect(await readdir(join(platform().artifactDir, 'uploads'))).toEqual([]);
    },
  );

  it('leaves neither module nor SBOM for a version whose SBOM verification refuses', async () => {
    const before = await storedFiles();
    const module = variant('sbom_invalid');
    const sbom = Buffer.from(
      JSON.stringify({
        bomFormat: 'CycloneDX',
        specVersion: '1.5',
        components: [{ type: 'nonsense', name: 'x' }],
      }),
    );
    const manifest = greetManifest({ signing: { sha256: sha256Hex(module) } });
    const res = await submit(publisher, manifest, module)
      .attach('sbom', sbom, 'sbom.json')
      .query({ wait: 30 })
      .expect(202);
    expect(res.body.status).toBe('rejected');
    expect((await versionState(publisher, manifest.id)).findings.map((f) => f.code)).toContain(
      'sbom_invalid',
    );
    await expectEventually(async () => expect(await storedFiles()).toEqual(before));
  });

  it('refuses an SBOM that is not JSON with 400 naming the sbom part, and stores nothing', async () => {
    const before = await storedFiles();
    const module = variant('sbom_malformed');
    const manifest = greetManifest({ signing: { sha256: sha256Hex(module) } });
    const res = await submit(publisher, manifest, module)
      .attach('sbom', Buffer.from('not json at all'), 'sbom.json')
      .expect(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toContain('"sbom"');
    expect(res.body.error.details).toEqual([
      expect.objectContaining({ code: 'sbom_malformed', path: '/sbom' }),
    ]);
    expect(await storedFiles()).toEqual(before);
    await api().get(`/v1/plugins/${manifest.id}`).set(bearer(publisher)).expect(404);
  });

  it('leaves no file for a version an admin rejects at approval', async () => {
    const before = await storedFiles();
    const module = variant('rejected_by_admin');
    const manifest = greetManifest({
      signing: { sha256: sha256Hex(module) },
      permissions: { 'net.http': { rules: [{ host: 'api.example.com', methods: ['GET'] }] } },
    });
    const res = await submit(publisher, manifest, module).query({ wait: 30 }).expect(202);
    expect(res.body.status).toBe('pending_approval');
    expect(await storedFiles()).toContain(pathOf(module));
    await api()
      .post(`/v1/approvals/${manifest.id}/1.0.0/reject`)
      .set(bearer(adminKey()))
      .send({ reason: 'no' })
      .expect(200);
    await expectEventually(async () => expect(await storedFiles()).toEqual(before));
  });

  it('keeps the module a running version shares with a rejected one, and the bystander runs', async () => {
    const before = await storedFiles();
    const shared = greetModule();
    expect(before).toContain(pathOf(shared));
    const manifest = signManifest(greetManifest(), shared, impostor.secretKey, 'e2e-gc');
    const res = await submit(publisher, manifest, shared).query({ wait: 30 }).expect(202);
    expect(res.body.status).toBe('rejected');
    // Given the collector time to act (it runs right after the registry records the rejection).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await storedFiles()).toEqual(before);
    const invoked = await greet(bystanderId).expect(200);
    expect(invoked.body.output).toEqual({ greeting: 'Hello, Ada!' });
  });

  it('collects at start the files of rejected versions that remain, and keeps the rest', async () => {
    const module = variant('left-over');
    const manifest = greetManifest({
      min_core_version: '99.0.0',
      signing: { sha256: sha256Hex(module) },
    });
    const res = await submit(publisher, manifest, module).query({ wait: 30 }).expect(202);
    expect(res.body.status).toBe('rejected');
    await expectEventually(async () => expect(await storedFiles()).not.toContain(pathOf(module)));
    const before = await storedFiles();
    // As a registry that stopped between the rejection and its collection would leave it.
    const path = join(platform().artifactDir, 'sha256', pathOf(module));
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, module);
    await restart!('registry');
    await expectEventually(async () => expect(await storedFiles()).toEqual(before));
    await greet(bystanderId).expect(200);
  });
});
