import { sha256Hex } from '@convergio/testing';
import {
  adminKey,
  api,
  artifactFiles,
  auditTypes,
  bearer,
  createKey,
  greetManifest,
  greetModule,
  submit,
  versionState,
} from './support/fixtures.js';

const MANIFEST_LIMIT = 256 * 1024;
const MODULE_LIMIT = 16 * 1024 * 1024;
const SBOM_LIMIT = 4 * 1024 * 1024;
const INVOKE_LIMIT = 256 * 1024;
const JSON_DEPTH = 64;

/** JSON text of an object nesting `levels` objects inside it: `{"a":{"a":...{}}}`. */
const nestedText = (levels: number) => `${'{"a":'.repeat(levels)}{}${'}'.repeat(levels)}`;
/** A manifest whose first tool's input_schema is `schemaText` (JSON text, spliced in as it is). */
function manifestWithSchema(schemaText: string): { id: string; text: string } {
  const manifest = greetManifest();
  const text = JSON.stringify(manifest).replace(
    JSON.stringify(manifest.capabilities.tools![0].input_schema),
    schemaText,
  );
  return { id: manifest.id, text };
}
/** An input_schema nesting 2 × `wraps` + 1 levels of `properties` (the schema itself is level 1). */
function deepSchema(wraps: number): object {
  let schema: object = { type: 'object' };
  for (let i = 0; i < wraps; i++) schema = { type: 'object', properties: { a: schema } };
  return schema;
}

/**
 * Input limits at the edge: each refused with the code, the field, the limit and the setting that
 * sets it, before anything is stored, recorded or run; nothing a client sends ends in a 500.
 */
describe('the gateway refuses what it cannot take, and says which limit', () => {
  let publisher: string;
  let invoker: string;
  let auditor: string;

  beforeAll(async () => {
    [publisher, invoker, auditor] = await Promise.all([
      createKey('publisher'),
      createKey('invoker'),
      createKey('auditor'),
    ]);
  });

  /** Nothing of plugin `id` exists: no version, no audit event. */
  async function nothingOf(id: string) {
    await api().get(`/v1/plugins/${id}`).set(bearer(publisher)).expect(404);
    expect(await auditTypes(auditor, id)).toEqual([]);
  }

  it('refuses a manifest over GATEWAY_MAX_MANIFEST_BYTES with 413, naming the part, limit and setting', async () => {
    const manifest = greetManifest();
    const padded = JSON.stringify(manifest) + ' '.repeat(MANIFEST_LIMIT);
    const res = await submit(publisher, padded).expect(413);
    expect(res.body.error).toMatchObject({
      code: 'payload_too_large',
      details: [expect.objectContaining({ code: 'manifest_too_large' })],
    });
    expect(res.body.error.message).toContain('"manifest"');
    expect(res.body.error.message).toContain(String(MANIFEST_LIMIT));
    expect(res.body.error.message).toContain('GATEWAY_MAX_MANIFEST_BYTES');
    await nothingOf(manifest.id);
  });

  it('refuses the same manifest sent as a text field, not a file', async () => {
    const manifest = greetManifest();
    const res = await api()
      .post('/v1/plugins')
      .set(bearer(publisher))
      .field('manifest', JSON.stringify(manifest) + ' '.repeat(MANIFEST_LIMIT))
      .attach('module', greetModule(), 'plugin.wasm')
      .expect(413);
    expect(res.body.error.details[0].code).toBe('manifest_too_large');
    expect(res.body.error.message).toContain('GATEWAY_MAX_MANIFEST_BYTES');
    await nothingOf(manifest.id);
  });

  it('refuses a module over GATEWAY_MAX_MODULE_BYTES with 413, naming the part, limit and setting', async () => {
    const module = Buffer.alloc(MODULE_LIMIT + 1);
    const manifest = greetManifest({ signing: { sha256: sha256Hex(module) } });
    const res = await submit(publisher, manifest, module).expect(413);
    expect(res.body.error).toMatchObject({
      code: 'payload_too_large',
      details: [expect.objectContaining({ code: 'module_too_large' })],
    });
    expect(res.body.error.message).toContain('"module"');
    expect(res.body.error.message).toContain(String(MODULE_LIMIT));
    expect(res.body.error.message).toContain('GATEWAY_MAX_MODULE_BYTES');
    await nothingOf(manifest.id);
  });

  it('refuses an sbom over GATEWAY_MAX_SBOM_BYTES with 413', async () => {
    const manifest = greetManifest();
    const res = await submit(publisher, manifest)
      .attach('sbom', Buffer.alloc(SBOM_LIMIT + 1, 0x20), 'sbom.json')
      .expect(413);
    expect(res.body.error.details[0].code).toBe('sbom_too_large');
    expect(res.body.error.message).toContain(String(SBOM_LIMIT));
    expect(res.body.error.message).toContain('GATEWAY_MAX_SBOM_BYTES');
    await nothingOf(manifest.id);
  });

  it.each([
    ['nested 5,000 deep in an input_schema', () => manifestWithSchema(nestedText(5000))],
    [
      'nested 5,000 deep in a field the schema does not know',
      () => {
        const manifest = greetManifest();
        const text = JSON.stringify(manifest).replace(/}$/, `,"extra":${nestedText(5000)}}`);
        return { id: manifest.id, text };
      },
    ],
    [
      'made of 100,000 nested arrays',
      () => ({
        id: 'e2e.arrays',
        text: `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      }),
    ],
  ])(
    'refuses a manifest %s with 400 json_too_deep, naming GATEWAY_MAX_JSON_DEPTH',
    async (_what, make) => {
      const { id, text } = make();
      const res = await submit(publisher, text).expect(400);
      expect(res.body.error).toMatchObject({
        code: 'validation_failed',
        details: [expect.objectContaining({ code: 'json_too_deep' })],
      });
      expect(res.body.error.message).toContain(String(JSON_DEPTH));
      expect(res.body.error.message).toContain('GATEWAY_MAX_JSON_DEPTH');
      await nothingOf(id);
    },
  );

  it('refuses an input_schema deeper than verification allows at the edge, naming the tool and the limit', async () => {
    const { id, text } = manifestWithSchema(JSON.stringify(deepSchema(18)));
    const res = await submit(publisher, text).expect(400);
    expect(res.body.error.details).toContainEqual(
      expect.objectContaining({
        code: 'input_schema_too_deep',
        path: '/capabilities/tools/0/input_schema',
        message: expect.stringContaining(
          'deeper than 32 levels, the limit set by INPUT_SCHEMA_MAX_DEPTH',
        ),
      }),
    );
    await nothingOf(id);
  });

  it('refuses an input_schema larger than verification allows at the edge', async () => {
    const big = { type: 'object', description: 'x'.repeat(70 * 1024) };
    const { id, text } = manifestWithSchema(JSON.stringify(big));
    const res = await submit(publisher, text).expect(400);
    expect(res.body.error.details).toContainEqual(
      expect.objectContaining({
        code: 'input_schema_too_large',
        path: '/capabilities/tools/0/input_schema',
        message: expect.stringContaining(
          `more than ${64 * 1024}, the limit set by INPUT_SCHEMA_MAX_BYTES`,
        ),
      }),
    );
    await nothingOf(id);
  });

  it.each([
    ['a JSON body', (r: ReturnType<typeof api>) => r.post('/v1/plugins').send({ manifest: {} })],
    ['no body', (r: ReturnType<typeof api>) => r.post('/v1/plugins')],
    [
      'a text/plain body',
      (r: ReturnType<typeof api>) =>
        r.post('/v1/plugins').set('Content-Type', 'text/plain').send('plugin.json'),
    ],
    [
      'a multipart/mixed body',
      (r: ReturnType<typeof api>) =>
        r
          .post('/v1/plugins')
          .set('Content-Type', 'multipart/mixed; boundary=x')
          .send('--x\r\n\r\nhi\r\n--x--\r\n'),
    ],
  ])(
    'answers %s to the submit route with 415 naming multipart/form-data and its parts',
    async (_what, send) => {
      const res = await send(api()).set(bearer(publisher)).expect(415);
      expect(res.body.error.code).toBe('unsupported_media_type');
      for (const word of ['multipart/form-data', 'manifest', 'module', 'sbom'])
        expect(res.body.error.message).toContain(word);
    },
  );

  it.each([
    ['an unknown part', (r: ReturnType<typeof submit>) => r.attach('other', Buffer.from('x'), 'x')],
    [
      'a second manifest',
      (r: ReturnType<typeof submit>) =>
        r.attach('manifest', Buffer.from(JSON.stringify(greetManifest())), 'plugin.json'),
    ],
  ])('refuses %s with 400 listing the parts a submission has', async (_what, add) => {
    const manifest = greetManifest();
    const res = await add(submit(publisher, manifest)).expect(400);
    expect(res.body.error.code).toBe('bad_request');
    for (const word of ['manifest', 'module', 'sbom'])
      expect(res.body.error.message).toContain(word);
    await nothingOf(manifest.id);
  });

  it('leaves the artifact store and staged uploads as they were after refusals of every kind', async () => {
    const accepted = greetManifest();
    await submit(publisher, accepted).expect(202);
    const before = await artifactFiles();
    const sbom = () => Buffer.from('{"bomFormat":"CycloneDX","specVersion":"1.5"}');
    const refusals = [
      submit(publisher, accepted).attach('sbom', sbom(), 'sbom.json').expect(409),
      submit(publisher, '{not json').attach('sbom', sbom(), 'sbom.json').expect(400),
      submit(publisher, { ...greetManifest(), entrypoint: '../x.wasm' }).expect(400),
      submit(publisher, manifestWithSchema(nestedText(5000)).text).expect(400),
      submit(publisher, JSON.stringify(greetManifest()) + ' '.repeat(MANIFEST_LIMIT)).expect(413),
      submit(publisher, greetManifest(), Buffer.alloc(MODULE_LIMIT + 1)).expect(413),
      submit(publisher, greetManifest())
        .attach('sbom', Buffer.alloc(SBOM_LIMIT + 1), 'sbom.json')
        .expect(413),
      submit(invoker, greetManifest()).attach('sbom', sbom(), 'sbom.json').expect(403),
      submit(publisher, greetManifest())
        .attach('sbom', Buffer.from('{"bomFormat": "Cyclo'), 'sbom.json')
        .expect(400),
    ];
    for (const refusal of refusals) await refusal;
    expect(await artifactFiles()).toEqual(before);
  });

  it('stores an sbom with the version, by its hash, next to the module', async () => {
    const sbom = Buffer.from(JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5' }));
    const manifest = greetManifest();
    await submit(publisher, manifest).attach('sbom', sbom, 'sbom.json').expect(202);
    const state = await versionState(publisher, manifest.id);
    expect(state).toMatchObject({ sbom: { sha256: sha256Hex(sbom), size: sbom.length } });
    expect(await artifactFiles()).toContain(
      `sha256/${sha256Hex(sbom).slice(0, 2)}/${sha256Hex(sbom)}`,
    );
    const without = greetManifest();
    await submit(publisher, without).expect(202);
    expect(await versionState(publisher, without.id)).toMatchObject({ sbom: null });
  });

  it('refuses an empty sbom part with 400', async () => {
    const manifest = greetManifest();
    const res = await submit(publisher, manifest).attach('sbom', Buffer.alloc(0), 'sbom.json');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('sbom');
    await nothingOf(manifest.id);
  });

  describe('JSON bodies', () => {
    it('refuses an invoke over GATEWAY_MAX_INVOKE_BYTES with 413 naming the limit and setting', async () => {
      const res = await api()
        .post('/v1/plugins/e2e.any/invoke')
        .set(bearer(invoker))
        .send({ function: 'greet', input: { name: 'x'.repeat(INVOKE_LIMIT) } })
        .expect(413);
      expect(res.body.error).toMatchObject({
        code: 'payload_too_large',
        details: [expect.objectContaining({ code: 'body_too_large' })],
      });
      expect(res.body.error.message).toContain(String(INVOKE_LIMIT));
      expect(res.body.error.message).toContain('GATEWAY_MAX_INVOKE_BYTES');
    });

    it.each([
      [
        'an invoke input',
        '/v1/plugins/e2e.any/invoke',
        (deep: string) => `{"function":"f","input":${deep}}`,
      ],
      [
        'an invoke-batch input',
        '/v1/plugins/e2e.any/invoke-batch',
        (deep: string) => `{"calls":[{"function":"f","input":${deep}}]}`,
      ],
      [
        'an API key request',
        '/v1/api-keys',
        (deep: string) => `{"name":${deep},"roles":["invoker"]}`,
      ],
    ])(
      'refuses %s nested 5,000 deep with 400 json_too_deep, not 500',
      async (_what, path, body) => {
        const res = await api()
          .post(path)
          .set(bearer(path === '/v1/api-keys' ? adminKey() : invoker))
          .set('Content-Type', 'application/json')
          .send(body(`${'['.repeat(5000)}${']'.repeat(5000)}`))
          .expect(400);
        expect(res.body.error.details[0].code).toBe('json_too_deep');
        expect(res.body.error.message).toContain('GATEWAY_MAX_JSON_DEPTH');
      },
    );

    it('takes a body exactly as deep as the limit, and still serves after the refusals', async () => {
      const input = JSON.parse(nestedText(JSON_DEPTH - 2)) as unknown;
      const res = await api()
        .post('/v1/plugins/e2e.unknown-plugin/invoke')
        .set(bearer(invoker))
        .send({ function: 'greet', input })
        .expect(404);
      expect(res.body.error.code).toBe('not_found');
    });
  });

  it('keeps serving once the refusals are over', async () => {
    await api().get('/v1/plugins').set(bearer(invoker)).expect(200);
  });
});
