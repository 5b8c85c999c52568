import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { platform } from './platform.js';

function builtModule(file: string): Buffer {
  const path = fileURLToPath(new URL(`../../../../examples/greet-plugin/build/${file}`, import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} is missing: run "npm run build" first`);
  return readFileSync(path);
}

/** The example plugin's module, as built by `npm run build`. */
export const greetModule = () => builtModule('greet.wasm');
/** Misbehaving test exports: echo, spin, fail, trap, membomb, noop. */
export const fixturesModule = () => builtModule('fixtures.wasm');

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A unique plugin id, so tests never see each other's plugins. */
export const uniqueId = (name: string) => `e2e.${name}-${randomBytes(3).toString('hex')}`;

/** A valid plugin.json for the greet module; override any field. */
export function greetManifest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: uniqueId('greet'),
    name: 'Greet',
    version: '1.0.0',
    author: 'Convergio e2e',
    license: 'Apache-2.0',
    min_core_version: '0.1.0',
    entrypoint: 'greet.wasm',
    capabilities: {
      tools: [
        {
          name: 'greet',
          function: 'greet',
          description: 'Says hello',
          input_schema: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } }, additionalProperties: false },
        },
      ],
    },
    permissions: {},
    signing: { sha256: sha256(greetModule()) },
    ...overrides,
  };
}

/** supertest against the gateway. */
export const api = () => request(platform().gatewayUrl);
export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
export const adminKey = () => platform().adminKey;

/** Creates an API key with the given roles through the API, as an admin would. */
export async function createKey(...roles: string[]): Promise<string> {
  const res = await api().post('/v1/api-keys').set(bearer(adminKey())).send({ name: `e2e ${roles.join('+')}`, roles }).expect(201);
  return (res.body as { key: string }).key;
}

/** Submits a manifest and module as multipart, the way a publisher's CLI would. */
export function submit(key: string, manifest: unknown, module: Buffer = greetModule()) {
  return api()
    .post('/v1/plugins')
    .set(bearer(key))
    .attach('manifest', Buffer.from(typeof manifest === 'string' ? manifest : JSON.stringify(manifest)), 'plugin.json')
    .attach('module', module, 'plugin.wasm');
}

/** The stored state of one version. */
export async function versionState(key: string, id: string, version = '1.0.0') {
  const res = await api().get(`/v1/plugins/${id}/versions/${version}`).set(bearer(key));
  return res.body as { status: string; loaded: boolean; findings: { code: string }[] };
}

/** Audit event types of one plugin version, in recorded order. */
export async function auditTypes(key: string, id: string): Promise<string[]> {
  const res = await api().get('/v1/audit').query({ plugin_id: id, limit: 100 }).set(bearer(key)).expect(200);
  return (res.body as { events: { type: string }[] }).events.map((e) => e.type);
}
