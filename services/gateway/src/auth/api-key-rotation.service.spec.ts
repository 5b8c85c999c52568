import { TransactionalOutbox } from '@convergio/messaging';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { expectEventually } from '@convergio/testing';
import { gatewayPersistence } from '../index.js';
import { AdminKeyBootstrap } from './admin-key.bootstrap.js';
import { ApiKeysOnly } from './api-keys.spec-helper.js';
import { ApiKeyRotationService } from './api-key-rotation.service.js';
import { ApiKeyService } from './api-key.service.js';
import { KeyRevocations } from './key-revocations.js';

const ADMIN = '11111111-1111-4111-8111-111111111111';
/** A rotation requested with a secret of `keyId` whose issuer is unknown. */
const by = (keyId: string) => ({ keyId, issuedBy: null, secretValidUntil: null });

describe('API key rotation', () => {
  let h: ServiceHarness;
  let keys: ApiKeyService;
  let rotation: ApiKeyRotationService;
  /** The same rotation with no grace period: the old secret stops at once. */
  let immediate: ApiKeyRotationService;

  beforeAll(async () => {
    h = await startServiceHarness({ ...gatewayPersistence, feature: ApiKeysOnly });
    keys = h.app.get(ApiKeyService);
    rotation = h.app.get(ApiKeyRotationService);
    immediate = new ApiKeyRotationService(
      h.dataSource,
      h.app.get(TransactionalOutbox),
      keys,
      h.app.get(KeyRevocations),
      { graceMs: 0 },
    );
  });
  afterAll(() => h?.close());

  it('gives the same key a new secret, and accepts the old one during the grace period', async () => {
    const admin = await keys.create({ name: 'ops', roles: ['admin'] }, ADMIN);
    const rotated = await rotation.rotate(admin.id, by(admin.id));
    expect(rotated).toMatchObject({ id: admin.id, name: 'ops', roles: ['admin'], publisher: null });
    expect(rotated.key).not.toBe(admin.key);
    expect(Date.parse(rotated.previous_valid_until)).toBeGreaterThan(Date.now() + 3_000_000);
    for (const secret of [rotated.key, admin.key])
      expect(await keys.authenticate(secret)).toMatchObject({
        keyId: admin.id,
        name: 'ops',
        roles: ['admin'],
        publisher: null,
      });
    // The principal says which secret it came with: the old one until the grace period ends.
    expect((await keys.authenticate(rotated.key)).secretValidUntil).toBeNull();
    expect((await keys.authenticate(admin.key)).secretValidUntil?.toISOString()).toBe(
      rotated.previous_valid_until,
    );
    const event = await h.waitFor('api_key.rotated', (e) => e.data.key_id === admin.id);
    expect(event.data).toEqual({
      key_id: admin.id,
      name: 'ops',
      actor: admin.id,
      previous_valid_until: rotated.previous_valid_until,
    });
    expect(JSON.stringify(h.events)).not.toContain(rotated.key);
    expect(JSON.stringify(h.events)).not.toContain(admin.key);
  });

  it('refuses the old secret once the grace period is over, even one it had just verified', async () => {
    const admin = await keys.create({ name: 'ops-now', roles: ['admin'] }, ADMIN);
    await keys.authenticate(admin.key);
    const rotated = await immediate.rotate(admin.id, by(admin.id));
    await expect(keys.authenticate(admin.key)).rejects.toMatchObject({ code: 'unauthorized' });
    expect((await keys.authenticate(rotated.key)).keyId).toBe(admin.id);
  });

  it('refuses every secret of a rotated key once it is revoked', async () => {
    const admin = await keys.create({ name: 'ops-gone', roles: ['admin'] }, ADMIN);
    const rotated = await rotation.rotate(admin.id, by(admin.id));
    await keys.revoke(admin.id, ADMIN);
    for (const secret of [rotated.key, admin.key])
      await expect(keys.authenticate(secret)).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('refuses to rotate an unknown or revoked key, publishing nothing', async () => {
    const revoked = await keys.create({ name: 'old', roles: ['invoker'] }, ADMIN);
    await keys.revoke(revoked.id, ADMIN);
    await h.waitFor('api_key.revoked', (e) => e.data.key_id === revoked.id);
    const before = h.events.length;
    await expect(rotation.rotate(revoked.id, by(ADMIN))).rejects.toMatchObject({
      code: 'invalid_state',
    });
    await expect(
      rotation.rotate('00000000-0000-4000-8000-000000000000', by(ADMIN)),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(keys.authenticate(revoked.key)).rejects.toMatchObject({ code: 'unauthorized' });
    expect(h.events.length).toBe(before);
  });

  // The rotator gets the new secret of the same key id: rotating another admin's key would let
  // one admin act, and approve, as another (a second approval, or an approval in their name).
  it("refuses to rotate another admin's key, recording the refusal; the key works on", async () => {
    const attacker = await keys.create({ name: 'rogue', roles: ['admin'] }, ADMIN);
    const victims = [
      await keys.create({ name: 'second-admin', roles: ['admin'] }, ADMIN),
      await keys.create(
        { name: 'admin-publisher', roles: ['publisher', 'admin'], publisher: 'acme' },
        ADMIN,
      ),
    ];
    for (const victim of victims) {
      const refusal = await rotation.rotate(victim.id, by(attacker.id)).catch((e: unknown) => e);
      expect(refusal).toMatchObject({
        code: 'forbidden',
        details: [{ code: 'rotate_other_admin_key' }],
      });
      expect((await keys.authenticate(victim.key)).keyId).toBe(victim.id);
      const refused = await h.waitFor(
        'api_key.rotation_refused',
        (e) => e.data.key_id === victim.id,
      );
      expect(refused.data).toEqual({
        key_id: victim.id,
        actor: attacker.id,
        code: 'rotate_other_admin_key',
        message: expect.stringContaining('revoke it instead') as unknown,
      });
    }
    const rotatedIds = h.events
      .filter((e) => e.type === 'api_key.rotated')
      .map((e) => (e.data as { key_id: string }).key_id);
    expect(rotatedIds).not.toEqual(expect.arrayContaining([victims[0].id]));
    expect(rotatedIds).not.toEqual(expect.arrayContaining([victims[1].id]));
    // A bystander: the attacker's own key still rotates, and a non-admin key may be rotated.
    const invoker = await keys.create({ name: 'bot', roles: ['invoker'] }, ADMIN);
    expect((await rotation.rotate(attacker.id, by(attacker.id))).id).toBe(attacker.id);
    expect((await rotation.rotate(invoker.id, by(attacker.id))).id).toBe(invoker.id);
  });

  it('never brings a rotated-out or revoked secret back as CONVERGIO_ADMIN_KEY', async () => {
    const admin = await keys.create({ name: 'boot-admin', roles: ['admin'] }, ADMIN);
    await immediate.rotate(admin.id, by(admin.id));
    const revoked = await keys.create({ name: 'boot-revoked', roles: ['admin'] }, ADMIN);
    await keys.revoke(revoked.id, ADMIN);
    for (const adminKey of [admin.key, revoked.key]) {
      await new AdminKeyBootstrap(keys, {
        adminKey,
        adminKeyFile: '/nonexistent/admin-key',
      }).onApplicationBootstrap();
      await expect(keys.authenticate(adminKey)).rejects.toMatchObject({ code: 'unauthorized' });
    }
    await expectEventually(async () =>
      expect(
        (await keys.list({ limit: 500 })).keys.filter((k) => k.name === 'bootstrap-admin'),
      ).toEqual([]),
    );
  });
});
