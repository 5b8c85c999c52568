import { Module } from '@nestjs/common';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { expectEventually } from '@convergio/testing';
import { gatewayPersistence } from '../index.js';
import { ApiKeyService } from './api-key.service.js';
import { KeyRevocations, ListeningKeyRevocations } from './key-revocations.js';

@Module({
  providers: [ApiKeyService, { provide: KeyRevocations, useClass: ListeningKeyRevocations }],
})
class KeysOnly {}

describe('ApiKeyService', () => {
  let h: ServiceHarness;
  let keys: ApiKeyService;

  beforeAll(async () => {
    h = await startServiceHarness({ ...gatewayPersistence, feature: KeysOnly });
    keys = h.app.get(ApiKeyService);
  });
  afterAll(() => h?.close());

  it('gives a publisher key its publisher, carried by the principal', async () => {
    const created = await keys.create({ name: 'ci', roles: ['publisher'], publisher: 'acme' });
    expect(created).toMatchObject({ roles: ['publisher'], publisher: 'acme' });
    expect(await keys.authenticate(created.key)).toEqual({
      keyId: created.id,
      name: 'ci',
      roles: ['publisher'],
      publisher: 'acme',
    });
  });

  it('refuses a publisher key without a publisher, naming the field', async () => {
    await expect(
      keys.create({ name: 'ci', roles: ['publisher', 'invoker'] }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      details: [expect.objectContaining({ path: '/publisher' })],
    });
  });

  it('refuses a publisher on a key without the publisher role', async () => {
    await expect(
      keys.create({ name: 'core', roles: ['invoker'], publisher: 'acme' }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      details: [expect.objectContaining({ path: '/publisher' })],
    });
  });

  it('answers a revocation with the revoked key; a second one is invalid_state, an unknown key not_found', async () => {
    const created = await keys.create({ name: 'temp', roles: ['invoker'] });
    const revoked = await keys.revoke(created.id);
    expect(revoked).toEqual({
      id: created.id,
      name: 'temp',
      roles: ['invoker'],
      publisher: null,
      created_at: expect.any(String),
      revoked_at: expect.any(String),
    });
    await expect(keys.authenticate(created.key)).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(keys.revoke(created.id)).rejects.toMatchObject({
      code: 'invalid_state',
      message: expect.stringContaining(revoked.revoked_at!),
    });
    await expect(keys.revoke('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('lists keys with roles and publisher, never the key or its hash', async () => {
    const invoker = await keys.create({ name: 'core', roles: ['invoker'] });
    await keys.revoke(invoker.id);

    const { keys: listed } = await keys.list();

    expect(listed).toContainEqual({
      id: invoker.id,
      name: 'core',
      roles: ['invoker'],
      publisher: null,
      created_at: expect.any(String),
      revoked_at: expect.any(String),
    });
    expect(listed.find((k) => k.publisher === 'acme')).toMatchObject({ revoked_at: null });
    const text = JSON.stringify(listed);
    expect(text).not.toContain(invoker.key);
    expect(text).not.toMatch(/hash/i);
  });

  describe('beside another replica on the same database', () => {
    let feed: ListeningKeyRevocations;
    let other: ApiKeyService;

    beforeEach(async () => {
      feed = new ListeningKeyRevocations(h.dataSource);
      await feed.onModuleInit();
      other = new ApiKeyService(h.dataSource, feed);
    });
    afterEach(() => feed.onApplicationShutdown());

    it('refuses a key it had verified as soon as this replica revokes it, well before its cache expires', async () => {
      const created = await keys.create({ name: 'core', roles: ['invoker'] });
      await expect(other.authenticate(created.key)).resolves.toMatchObject({ keyId: created.id });
      await keys.revoke(created.id);
      await expectEventually(
        () =>
          expect(other.authenticate(created.key)).rejects.toMatchObject({ code: 'unauthorized' }),
        { timeoutMs: 1000, intervalMs: 20 },
      );
    });

    it('trusts no verified key while revocations cannot reach it', async () => {
      const created = await keys.create({ name: 'core', roles: ['invoker'] });
      await expect(other.authenticate(created.key)).resolves.toMatchObject({ keyId: created.id });
      await feed.onApplicationShutdown();
      // Revoked behind the feed's back: only a replica reading the table sees it.
      await h.dataSource.query('UPDATE gateway.api_keys SET revoked_at = now() WHERE id = $1', [
        created.id,
      ]);
      await expect(other.authenticate(created.key)).rejects.toMatchObject({ code: 'unauthorized' });
    });
  });
});
