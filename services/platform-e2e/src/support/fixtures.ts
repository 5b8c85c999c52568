import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import type { Manifest } from '@convergio/contracts';
import { aManifest, exampleModule, keyIssuer } from '@convergio/testing';
import request from 'supertest';
import { platform } from './platform.js';

/** The example plugin's module, as built by `npm run build`. */
export const greetModule = () => exampleModule('greet.wasm');
/** Misbehaving test exports: echo, spin, fail, trap, membomb, noop. */
export const fixturesModule = () => exampleModule('fixtures.wasm');

/** A unique plugin id, so tests never see each other's plugins. */
export const uniqueId = (name: string) => `e2e.${name}-${randomBytes(3).toString('hex')}`;

/** A valid plugin.json for the greet module with an id of its own; override any field. */
export function greetManifest(overrides: Partial<Manifest> = {}): Manifest {
  return aManifest({ id: uniqueId('greet'), ...overrides }, greetModule());
}

/** supertest against the gateway. */
export const api = () => request(platform().gatewayUrl);
export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
export const adminKey = () => platform().adminKey;
/** The admin key that issues the keys tests create (see {@link keyIssuer}). */
const issuingKey = () => keyIssuer(platform().gatewayUrl, adminKey());

/** A unique publisher name, so tests never claim each other's plugin ids. */
export const uniquePublisher = (name = 'e2e') => `${name}-${randomBytes(3).toString('hex')}`;

/**
 * Creates an API key with the given roles through the API, as an admin would. A publisher key
 * gets a publisher of its own (unique unless `publisher` is given).
 */
export async function createKey(...roles: string[]): Promise<string> {
  return createKeyFor(roles.includes('publisher') ? uniquePublisher() : null, ...roles);
}

/**
 * The admin key that issues a test key with `roles`: the bootstrap admin key for an admin key, as
 * each person's admin key is issued (separation of duties counts the keys of one issuance lineage
 * as one person, ADR 0015); the platform's {@link keyIssuer} for any other, so that the admin
 * key may approve what it submits.
 */
export async function issuerOf(roles: readonly string[]): Promise<string> {
  return roles.includes('admin') ? adminKey() : issuingKey();
}

/** Creates a key for `publisher` (null: none) with the given roles, issued by {@link issuerOf}. */
export async function createKeyFor(publisher: string | null, ...roles: string[]): Promise<string> {
  const res = await api()
    .post('/v1/api-keys')
    .set(bearer(await issuerOf(roles)))
    .send({ name: `e2e ${roles.join('+')}`, roles, ...(publisher && { publisher }) })
    .expect(201);
  return (res.body as { key: string }).key;
}

/** A plugin.json for a bare module asking no permission, its export `run` as tool `run`. */
export function runToolManifest(name: string, module: Buffer): Manifest {
  return aManifest(
    {
      id: uniqueId(name),
      entrypoint: 'plugin.wasm',
      capabilities: {
        tools: [{ name: 'run', function: 'run', description: 'run', input_schema: {} }],
      },
      permissions: {},
    },
    module,
  );
}

/** Submits a manifest and module as multipart, the way a publisher's CLI would. */
export function submit(key: string, manifest: unknown, module: Buffer = greetModule()) {
  return api()
    .post('/v1/plugins')
    .set(bearer(key))
    .attach(
      'manifest',
      Buffer.from(typeof manifest === 'string' ? manifest : JSON.stringify(manifest)),
      'plugin.json',
    )
    .attach('module', module, 'plugin.wasm');
}

/** Every file in the shared artifact folder (content-addressed store and staged uploads), sorted. */
export const artifactFiles = async () =>
  (await readdir(platform().artifactDir, { recursive: true })).sort();

/** The stored state of one version. */
export async function versionState(key: string, id: string, version = '1.0.0') {
  const res = await api().get(`/v1/plugins/${id}/versions/${version}`).set(bearer(key));
  return res.body as { status: string; loaded: boolean; findings: { code: string }[] };
}

/** Audit event types of one plugin version, in recorded order. */
export async function auditTypes(key: string, id: string): Promise<string[]> {
  const res = await api()
    .get('/v1/audit')
    .query({ plugin_id: id, limit: 100 })
    .set(bearer(key))
    .expect(200);
  return (res.body as { events: { type: string }[] }).events.map((e) => e.type);
}
