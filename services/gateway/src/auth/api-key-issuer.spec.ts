import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { gatewayPersistence } from '../index.js';
import { AdminKeyBootstrap } from './admin-key.bootstrap.js';
import { ApiKeysOnly } from './api-keys.spec-helper.js';
import { ApiKeyRotationService } from './api-key-rotation.service.js';
import { ApiKeyService } from './api-key.service.js';

const ADMIN = '11111111-1111-4111-8111-111111111111';

// Whoever issued a secret held it: separation of duties counts them as whoever submits with it.
describe('API key issuer', () => {
  let h: ServiceHarness;
  let keys: ApiKeyService;
  let rotation: ApiKeyRotationService;

  beforeAll(async () => {
    h = await startServiceHarness({ ...gatewayPersistence, feature: ApiKeysOnly });
    keys = h.app.get(ApiKeyService);
    rotation = h.app.get(ApiKeyRotationService);
  });
  afterAll(() => h?.close());

  const issuerOf = async (secret: string) => (await keys.authenticate(secret)).issuedBy;
  /** Rotates `id` with `secret`, as the gateway does for a request that came with it. */
  const rotateWith = async (id: string, secret: string) =>
    rotation.rotate(id, await keys.authenticate(secret));
  const listedIssuer = async (id: string) =>
    (await keys.list({ limit: 500 })).keys.find((k) => k.id === id)?.issued_by;

  it('records the creating admin as the issuer of a new key', async () => {
    const ci = await keys.create({ name: 'ci', roles: ['publisher'], publisher: 'acme' }, ADMIN);
    expect(await issuerOf(ci.key)).toBe(ADMIN);
    expect(await listedIssuer(ci.id)).toBe(ADMIN);
  });

  it('records the gateway as the issuer of the bootstrap admin key', async () => {
    const adminKey = 'cvg_issuer-spec-bootstrap-admin-key-0123456789';
    await new AdminKeyBootstrap(keys, {
      adminKey,
      adminKeyFile: '/nonexistent/admin-key',
    }).onApplicationBootstrap();
    expect(await issuerOf(adminKey)).toBe('gateway');
  });

  it('makes the rotating key the issuer of the new secret; the old one keeps its issuer', async () => {
    const rotator = await keys.create({ name: 'ops-b', roles: ['admin'] }, ADMIN);
    const ci = await keys.create({ name: 'ci-b', roles: ['publisher'], publisher: 'acme' }, ADMIN);
    // Verified (and cached) before the rotation: the cache must not lend it the new issuer.
    expect(await issuerOf(ci.key)).toBe(ADMIN);
    const rotated = await rotateWith(ci.id, rotator.key);
    expect(await issuerOf(rotated.key)).toBe(rotator.id);
    expect(await issuerOf(ci.key)).toBe(ADMIN);
    expect(await listedIssuer(ci.id)).toBe(rotator.id);
  });

  // Whoever held the secret a key rotates itself with is handed the new one: an admin who created
  // an admin+publisher key cannot shed being its issuer by rotating it with its own secret.
  it('keeps the issuer of the rotating secret when a key rotates itself, however often', async () => {
    const both = await keys.create(
      { name: 'ci-c', roles: ['admin', 'publisher'], publisher: 'acme' },
      ADMIN,
    );
    const once = await rotateWith(both.id, both.key);
    expect(await issuerOf(once.key)).toBe(ADMIN);
    const twice = await rotateWith(both.id, once.key);
    expect(await issuerOf(twice.key)).toBe(ADMIN);
    expect(await listedIssuer(both.id)).toBe(ADMIN);
  });

  it('keeps the rotating admin as the issuer when the key then rotates itself with that secret', async () => {
    const rotator = await keys.create({ name: 'ops-e', roles: ['admin'] }, ADMIN);
    const ci = await keys.create({ name: 'ci-e', roles: ['publisher'], publisher: 'acme' }, ADMIN);
    // The gateway cannot tell the owner from the admin who was handed the secret: a rotation with
    // it passes the issuance on, so it is never lost.
    const handed = await rotateWith(ci.id, rotator.key);
    expect(await issuerOf(handed.key)).toBe(rotator.id);
    const own = await rotateWith(ci.id, handed.key);
    expect(await issuerOf(own.key)).toBe(rotator.id);
  });

  it('answers null (unknown) for keys and rotated-out secrets from before issuers were kept', async () => {
    const ci = await keys.create({ name: 'ci-d', roles: ['publisher'], publisher: 'acme' }, ADMIN);
    await h.dataSource.query(`UPDATE gateway.api_keys SET issued_by = NULL WHERE id = $1`, [ci.id]);
    const rotated = await rotation.rotate(ci.id, {
      keyId: ADMIN,
      issuedBy: 'gateway',
      secretValidUntil: null,
    });
    expect(await issuerOf(ci.key)).toBeNull();
    expect(await issuerOf(rotated.key)).toBe(ADMIN);
  });
});
