import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { GATEWAY_SERVICE } from '../gateway.schema.js';
import { gatewayPersistence } from '../index.js';
import { AdminKeyBootstrap } from './admin-key.bootstrap.js';
import { ApiKeysOnly } from './api-keys.spec-helper.js';
import { ApiKeyRotationService } from './api-key-rotation.service.js';
import { ApiKeyService } from './api-key.service.js';

// Separation of duties counts the keys of one issuance lineage as one person (ADR 0015).
describe('issuance lineage of an API key', () => {
  let h: ServiceHarness;
  let keys: ApiKeyService;
  let rotation: ApiKeyRotationService;
  let bootstrap: { id: string; key: string };

  beforeAll(async () => {
    h = await startServiceHarness({ ...gatewayPersistence, feature: ApiKeysOnly });
    keys = h.app.get(ApiKeyService);
    rotation = h.app.get(ApiKeyRotationService);
    bootstrap = await keys.create({ name: 'bootstrap-admin', roles: ['admin'] }, GATEWAY_SERVICE);
  });
  afterAll(() => h?.close());

  const admin = (by: string) => keys.create({ name: 'admin', roles: ['admin'] }, by);
  const publisher = (by: string) =>
    keys.create({ name: 'ci', roles: ['publisher'], publisher: 'acme' }, by);
  const kin = async (id: string) => (await keys.issuanceKin(id)).sort();

  it('relates keys up and down a chain, and siblings, but never through the bootstrap key', async () => {
    const a = await admin(bootstrap.id);
    const [a2, sibling] = await Promise.all([admin(a.id), publisher(a.id)]);
    const a3 = await publisher(a2.id);
    const other = await admin(bootstrap.id);
    expect(await kin(a.id)).toEqual([a2.id, a3.id, sibling.id].sort());
    expect(await kin(a3.id)).toEqual([a.id, a2.id, sibling.id].sort());
    expect(await kin(sibling.id)).toEqual([a.id, a2.id, a3.id].sort());
    expect(await kin(other.id)).toEqual([]);
    expect(await kin(bootstrap.id)).toEqual([]);
  });

  it('counts a rotation by another key as an issuance, and keeps the replaced secret’s issuer', async () => {
    const [a, b] = await Promise.all([admin(bootstrap.id), admin(bootstrap.id)]);
    const ci = await publisher(a.id);
    await rotation.rotate(ci.id, await keys.authenticate(b.key));
    // ci's current secret comes from b, the one it had from a: ci is of both lineages.
    expect(await kin(b.id)).toEqual([ci.id]);
    expect(await kin(a.id)).toEqual([ci.id]);
    expect(await kin(ci.id)).toEqual([a.id, b.id].sort());
  });

  it('keeps an admin key that rotated itself in the lineage of the admin that created it', async () => {
    const a = await admin(bootstrap.id);
    const a2 = await admin(a.id);
    await rotation.rotate(a2.id, await keys.authenticate(a2.key));
    expect(await kin(a.id)).toEqual([a2.id]);
  });

  it('makes a key of unknown issuer head a lineage, until the operator configures it as the bootstrap key', async () => {
    // Keys from before issuers were kept have none.
    const legacy = await admin(bootstrap.id);
    await h.dataSource.query(`UPDATE gateway.api_keys SET issued_by = NULL WHERE id = $1`, [
      legacy.id,
    ]);
    const [x, y] = await Promise.all([admin(legacy.id), admin(legacy.id)]);
    expect(await kin(x.id)).toEqual([legacy.id, y.id].sort());
    await new AdminKeyBootstrap(keys, {
      adminKey: legacy.key,
      adminKeyFile: '/nonexistent/admin-key',
    }).onApplicationBootstrap();
    expect(await kin(x.id)).toEqual([]);
    expect(await kin(legacy.id)).toEqual([]);
  });

  it('ends on a cycle of rotations', async () => {
    const [a, b] = await Promise.all([admin(bootstrap.id), admin(bootstrap.id)]);
    const [p, q] = await Promise.all([publisher(a.id), publisher(b.id)]);
    await h.dataSource.query(`UPDATE gateway.api_keys SET issued_by = $2 WHERE id = $1`, [
      p.id,
      q.id,
    ]);
    await h.dataSource.query(`UPDATE gateway.api_keys SET issued_by = $2 WHERE id = $1`, [
      q.id,
      p.id,
    ]);
    expect(await kin(p.id)).toEqual([q.id]);
  });
});
