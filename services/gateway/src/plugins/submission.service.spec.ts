import { Type } from '@sinclair/typebox';
import { loadConfig } from '@convergio/config';
import { aManifest, sha256Hex } from '@convergio/testing';
import { DomainError, RequestSubjects, type ErrorDetail } from '@convergio/contracts';
import type { ArtifactRef, ArtifactStore, StagedArtifact } from '@convergio/artifacts';
import type { BusClient } from '@convergio/messaging';
import type { Principal } from '../auth/roles.js';
import { GatewayLimitsEnv } from '../config/gateway.config.js';
import { SubmissionService } from './submission.service.js';

/** The gateway's limits as shipped. */
const LIMITS = loadConfig(Type.Object(GatewayLimitsEnv), {});

const wasm = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
const wasmSha = sha256Hex(wasm);

const manifest = (overrides: Record<string, unknown> = {}) => ({
  ...aManifest({}, wasm),
  ...overrides,
});

/** Remembers what was stored, by content hash, and what is staged, by upload id. */
class FakeArtifactStore implements ArtifactStore {
  readonly stored = new Map<string, Uint8Array>();
  readonly staged = new Map<string, Uint8Array>();
  private uploads = 0;
  put(bytes: Uint8Array): Promise<ArtifactRef> {
    const sha256 = sha256Hex(bytes);
    this.stored.set(sha256, bytes);
    return Promise.resolve({ sha256, size: bytes.length });
  }
  stage(bytes: Uint8Array): Promise<StagedArtifact> {
    const upload_id = String(++this.uploads).padStart(32, '0');
    this.staged.set(upload_id, bytes);
    return Promise.resolve({ upload_id, sha256: sha256Hex(bytes), size: bytes.length });
  }
  promote(uploadId: string): Promise<ArtifactRef> {
    const bytes = this.staged.get(uploadId)!;
    this.staged.delete(uploadId);
    return this.put(bytes);
  }
  discard(uploadId: string): Promise<void> {
    this.staged.delete(uploadId);
    return Promise.resolve();
  }
  get(sha256: string): Promise<Uint8Array> {
    return Promise.resolve(this.stored.get(sha256)!);
  }
  has(sha256: string): Promise<boolean> {
    return Promise.resolve(this.stored.has(sha256));
  }
  remove(sha256: string): Promise<boolean> {
    return Promise.resolve(this.stored.delete(sha256));
  }
}

type SubmitData = {
  manifest: { id: string; version: string };
  upload_id: string;
  sbom?: { upload_id: string };
};

/** A version state as registry.get_version answers it (the fields a wait reads). */
const seen = (status: string) => ({
  status,
  loaded: false,
  load_failure: null,
  policy_violations: [],
  findings: [],
});

/** Records requests and answers registry.submit the way the registry does: promotes, or refuses. */
class FakeBus {
  readonly requests: { subject: string; data: unknown }[] = [];
  refusal?: DomainError;
  /** The states registry.get_version answers in turn, the last one repeated. */
  laterStates: Record<string, unknown>[] = [seen('submitted')];
  constructor(private readonly artifacts: FakeArtifactStore) {}
  async request(subject: string, data: SubmitData) {
    this.requests.push({ subject, data });
    if (subject === RequestSubjects.RegistryGetVersion)
      return this.laterStates.length > 1 ? this.laterStates.shift() : this.laterStates[0];
    if (this.refusal) throw this.refusal;
    await this.artifacts.promote(data.upload_id);
    if (data.sbom) await this.artifacts.promote(data.sbom.upload_id);
    return { plugin_id: data.manifest.id, version: data.manifest.version, status: 'submitted' };
  }
}

const publisherKey: Principal = {
  keyId: 'k-pub',
  name: 'ci',
  roles: ['publisher'],
  publisher: 'acme',
  issuedBy: 'k-admin',
  secretValidUntil: null,
};

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DomainError))
    throw new Error(`expected a DomainError, got ${String(error)}`);
  return error;
}

describe('SubmissionService', () => {
  let artifacts: FakeArtifactStore;
  let bus: FakeBus;
  let service: SubmissionService;
  beforeEach(() => {
    artifacts = new FakeArtifactStore();
    bus = new FakeBus(artifacts);
    service = new SubmissionService(bus as unknown as BusClient, artifacts, LIMITS);
  });

  it("stages the module and asks the registry to record it for the key's publisher and its secret's issuer", async () => {
    const reply = await service.submit(
      { manifest: JSON.stringify(manifest()), module: wasm },
      publisherKey,
    );
    expect(reply).toEqual({ plugin_id: 'example.greet', version: '1.0.0', status: 'submitted' });
    expect([...artifacts.stored.keys()]).toEqual([wasmSha]);
    expect(artifacts.staged.size).toBe(0);
    expect(bus.requests).toEqual([
      {
        subject: 'registry.submit',
        data: {
          manifest: manifest(),
          module_sha256: wasmSha,
          module_size: wasm.length,
          upload_id: expect.stringMatching(/^[0-9a-f]{32}$/),
          submitted_by: 'k-pub',
          submitted_by_issuer: 'k-admin',
          publisher: 'acme',
        },
      },
    ]);
  });

  const loadFailure = { reason: 'trap', message: 'unreachable in the start function', at: 'now' };
  const violation = { code: 'policy_violation', message: 'outside the roots' };
  it.each([
    ['approved and loaded', { status: 'approved', loaded: true }],
    ['approved but its load failed', { status: 'approved', load_failure: loadFailure }],
    ['approved but policy refuses it', { status: 'approved', policy_violations: [violation] }],
    ['pending_approval', { status: 'pending_approval' }],
    [
      'rejected, with the findings that say why',
      {
        status: 'rejected',
        findings: [{ code: 'module_hash_mismatch', message: 'the module is not the one signed' }],
      },
    ],
  ])('with a wait, answers as soon as the version is %s', async (_what, outcome) => {
    const final = { ...seen('approved'), ...outcome };
    bus.laterStates = [
      seen('verified'),
      seen(final.status === 'approved' ? 'approved' : 'verified'),
      final,
    ];
    const reply = await service.submit(
      { manifest: JSON.stringify(manifest()), module: wasm },
      publisherKey,
      10,
    );
    expect(reply).toEqual({
      plugin_id: 'example.greet',
      version: '1.0.0',
      ...final,
      settled: true,
    });
    expect(
      bus.requests.filter((r) => r.subject === RequestSubjects.RegistryGetVersion),
    ).toHaveLength(3);
  });

  it('with a wait that runs out, answers the state it saw last, not settled', async () => {
    bus.laterStates = [seen('approved')];
    const reply = await service.submit(
      { manifest: JSON.stringify(manifest()), module: wasm },
      publisherKey,
      0.3,
    );
    expect(reply).toMatchObject({ status: 'approved', loaded: false, settled: false });
    expect(
      bus.requests.filter((r) => r.subject === RequestSubjects.RegistryGetVersion).length,
    ).toBeGreaterThan(0);
  });

  it('stops asking the registry as soon as the client has gone, and never waits past the cap', async () => {
    const gone = new AbortController();
    const asked = () =>
      bus.requests.filter((r) => r.subject === RequestSubjects.RegistryGetVersion).length;
    const reply = service.submit(
      { manifest: JSON.stringify(manifest()), module: wasm },
      publisherKey,
      Infinity,
      gone.signal,
    );
    await new Promise((resolve) => setTimeout(resolve, 350));
    gone.abort();
    await expect(reply).resolves.toMatchObject({ status: 'submitted', settled: false });
    const after = asked();
    expect(after).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(asked()).toBe(after);
  });

  it('discards the staged module when the registry refuses the submission', async () => {
    bus.refusal = new DomainError(
      'not_owner',
      'plugin id example.greet belongs to another publisher',
    );
    const error = await refusal(
      service.submit({ manifest: JSON.stringify(manifest()), module: wasm }, publisherKey),
    );
    expect(error.code).toBe('not_owner');
    expect(artifacts.staged.size).toBe(0);
    expect(artifacts.stored.size).toBe(0);
  });

  it('refuses a key that belongs to no publisher with forbidden, saying how to get one', async () => {
    const admin: Principal = {
      keyId: 'k-admin',
      name: 'ops',
      roles: ['admin'],
      publisher: null,
      issuedBy: 'gateway',
      secretValidUntil: null,
    };
    const error = await refusal(
      service.submit({ manifest: JSON.stringify(manifest()), module: wasm }, admin),
    );
    expect(error.code).toBe('forbidden');
    expect(error.message).toContain('POST /v1/api-keys');
    expect(error.message).toContain('"publisher"');
    expect(artifacts.staged.size + artifacts.stored.size).toBe(0);
    expect(bus.requests).toEqual([]);
  });

  it('accepts the manifest as an uploaded file buffer', async () => {
    await service.submit(
      { manifest: Buffer.from(JSON.stringify(manifest())), module: wasm },
      publisherKey,
    );
    expect(bus.requests).toHaveLength(1);
  });

  it.each([
    ['the manifest is missing', { module: wasm }, /"manifest"/],
    ['the module is missing', { manifest: JSON.stringify(manifest()) }, /"module"/],
    [
      'the module is empty',
      { manifest: JSON.stringify(manifest()), module: Buffer.alloc(0) },
      /"module"/,
    ],
    [
      'the manifest is not JSON',
      { manifest: '{"id": "example.greet",', module: wasm },
      // Said once, not "plugin.json is not valid JSON: plugin.json is not valid JSON: ...".
      /^plugin\.json is not valid JSON: (?!plugin\.json)/,
    ],
    [
      'the manifest starts with a byte order mark',
      {
        manifest: Buffer.concat([
          Buffer.of(0xef, 0xbb, 0xbf),
          Buffer.from(JSON.stringify(manifest())),
        ]),
        module: wasm,
      },
      /^plugin\.json starts with a byte order mark .*: remove the byte order mark/,
    ],
    [
      'the manifest is latin1',
      {
        manifest: Buffer.from(JSON.stringify(manifest({ name: 'Grüße' })), 'latin1'),
        module: wasm,
      },
      /^plugin\.json is not valid UTF-8: save it as UTF-8/,
    ],
  ])(
    'refuses with bad_request when %s, storing and sending nothing',
    async (_what, parts, message) => {
      const error = await refusal(service.submit(parts, publisherKey));
      expect(error.code).toBe('bad_request');
      expect(error.message).toMatch(message);
      expect(artifacts.stored.size + artifacts.staged.size).toBe(0);
      expect(bus.requests).toEqual([]);
    },
  );

  it('refuses a manifest that fails its schema with validation_failed, listing every problem, storing and sending nothing', async () => {
    const bad = manifest({
      author: undefined,
      id: 'Not An Id',
      entrypoint: '../evil.wasm',
      permissions: { 'root.everything': {} },
    });
    const error = await refusal(
      service.submit({ manifest: JSON.stringify(bad), module: wasm }, publisherKey),
    );
    expect(error.code).toBe('validation_failed');
    expect(error.details.map((d: ErrorDetail) => d.path)).toEqual(
      expect.arrayContaining(['/author', '/id', '/entrypoint', '/permissions/root.everything']),
    );
    expect(artifacts.stored.size).toBe(0);
    expect(bus.requests).toEqual([]);
  });

  it('refuses JSON that is not an object with validation_failed', async () => {
    const error = await refusal(service.submit({ manifest: '[]', module: wasm }, publisherKey));
    expect(error.code).toBe('validation_failed');
    expect(bus.requests).toEqual([]);
  });
  it.each([
    ['NUL in the name', { name: 'Gr\u0000eet' }, '/name'],
    [
      'a lone surrogate in the description of a tool',
      {
        capabilities: {
          tools: [{ name: 'greet', function: 'greet', description: 'hi \ud800', input_schema: {} }],
        },
      },
      '/capabilities/tools/0/description',
    ],
    [
      'NUL in a key of an input_schema',
      {
        capabilities: {
          tools: [
            {
              name: 'greet',
              function: 'greet',
              description: 'hi',
              input_schema: { properties: { ['na\u0000me']: { type: 'string' } } },
            },
          ],
        },
      },
      '/capabilities/tools/0/input_schema/properties/na\\u0000me',
    ],
    [
      'a lone surrogate in a granted path',
      {
        permissions: { 'fs.read': { paths: ['/srv/\udc00'] } },
      },
      '/permissions/fs.read/paths/0',
    ],
  ])(
    'refuses %s with validation_failed / invalid_characters naming the field',
    async (_w, fields, path) => {
      // JSON.parse turns "\u0000" and "\ud800" escapes into these characters, as a client would send them.
      const raw = JSON.stringify(manifest(fields));
      const error = await refusal(service.submit({ manifest: raw, module: wasm }, publisherKey));
      expect(error.code).toBe('validation_failed');
      expect(error.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ code: 'invalid_characters', path })]),
      );
      expect(artifacts.stored.size).toBe(0);
      expect(bus.requests).toEqual([]);
    },
  );

  it('stages an sbom with the module and passes both on; the registry keeps both', async () => {
    const sbom = Buffer.from('{"bomFormat":"CycloneDX"}');
    await service.submit(
      { manifest: JSON.stringify(manifest()), module: wasm, sbom },
      publisherKey,
    );
    expect(bus.requests[0].data).toMatchObject({
      sbom: { sha256: sha256Hex(sbom), size: sbom.length, upload_id: expect.any(String) },
    });
    expect([...artifacts.stored.keys()].sort()).toEqual([wasmSha, sha256Hex(sbom)].sort());
    expect(artifacts.staged.size).toBe(0);
  });

  it('discards the staged sbom too when the registry refuses', async () => {
    bus.refusal = new DomainError('version_exists', 'example.greet@1.0.0 exists');
    const sbom = Buffer.from('{}');
    await refusal(
      service.submit({ manifest: JSON.stringify(manifest()), module: wasm, sbom }, publisherKey),
    );
    expect(artifacts.staged.size + artifacts.stored.size).toBe(0);
  });

  it.each([
    ['an empty sbom', { sbom: Buffer.alloc(0) }, /"sbom"/],
    ['a manifest sent twice as text', { manifest: ['{}', '{}'] }, /once/],
  ])('refuses %s with bad_request, storing nothing', async (_what, parts, message) => {
    const error = await refusal(
      service.submit(
        { manifest: JSON.stringify(manifest()), module: wasm, ...parts },
        publisherKey,
      ),
    );
    expect(error.code).toBe('bad_request');
    expect(error.message).toMatch(message);
    expect(artifacts.stored.size + artifacts.staged.size).toBe(0);
    expect(bus.requests).toEqual([]);
  });

  it.each([
    ['text that is not JSON', Buffer.from('not json at all'), 'not JSON'],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'UTF-8'],
    ['a JSON array', Buffer.from('[]'), 'not a JSON object'],
    ['JSON nested 65 deep', Buffer.from(`${'['.repeat(65)}${']'.repeat(65)}`), 'deeper than 64'],
  ])(
    'refuses an sbom that is %s with 400 naming the part, storing nothing',
    async (_what, sbom, why) => {
      const error = await refusal(
        service.submit({ manifest: JSON.stringify(manifest()), module: wasm, sbom }, publisherKey),
      );
      expect(error.code).toBe('validation_failed');
      expect(error.message).toContain('"sbom"');
      expect(error.message).toContain(why);
      expect(error.details).toEqual([
        expect.objectContaining({ code: 'sbom_malformed', path: '/sbom' }),
      ]);
      expect(artifacts.stored.size + artifacts.staged.size).toBe(0);
      expect(bus.requests).toEqual([]);
    },
  );

  it('refuses a manifest deeper than GATEWAY_MAX_JSON_DEPTH before anything walks it', async () => {
    const deep = `${'{"a":'.repeat(5000)}{}${'}'.repeat(5000)}`;
    const raw = JSON.stringify(manifest()).replace(/}$/, `,"extra":${deep}}`);
    const error = await refusal(service.submit({ manifest: raw, module: wasm }, publisherKey));
    expect(error.code).toBe('validation_failed');
    expect(error.details).toEqual([expect.objectContaining({ code: 'json_too_deep' })]);
    expect(error.message).toContain('GATEWAY_MAX_JSON_DEPTH');
    expect(bus.requests).toEqual([]);
  });

  it('refuses an input_schema beyond the bounds verification holds it to, naming the tool', async () => {
    let schema: object = {};
    // 41 levels: over the 32 an input_schema may nest, within the 64 of the whole manifest.
    for (let i = 0; i < 20; i++) schema = { properties: { a: schema } };
    const tools = [{ name: 'greet', function: 'greet', description: 'hi', input_schema: schema }];
    const raw = JSON.stringify(manifest({ capabilities: { tools } }));
    const error = await refusal(service.submit({ manifest: raw, module: wasm }, publisherKey));
    expect(error.details).toEqual([
      expect.objectContaining({
        code: 'input_schema_too_deep',
        path: '/capabilities/tools/0/input_schema',
      }),
    ]);
    expect(bus.requests).toEqual([]);
  });

  it('holds input schemas to INPUT_SCHEMA_MAX_BYTES as set, naming the setting', async () => {
    const small = new SubmissionService(bus as unknown as BusClient, artifacts, {
      ...LIMITS,
      INPUT_SCHEMA_MAX_BYTES: 1024,
    });
    const schema = { type: 'object', description: 'x'.repeat(1024) };
    const tools = [{ name: 'greet', function: 'greet', description: 'hi', input_schema: schema }];
    const raw = JSON.stringify(manifest({ capabilities: { tools } }));
    const error = await refusal(small.submit({ manifest: raw, module: wasm }, publisherKey));
    expect(error.details).toEqual([
      expect.objectContaining({
        code: 'input_schema_too_large',
        path: '/capabilities/tools/0/input_schema',
        message: expect.stringContaining('more than 1024, the limit set by INPUT_SCHEMA_MAX_BYTES'),
      }),
    ]);
    expect(bus.requests).toEqual([]);
    expect([artifacts.staged.size, artifacts.stored.size]).toEqual([0, 0]);
  });
});
