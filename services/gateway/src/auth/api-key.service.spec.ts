import { encodePageCursor } from '@convergio/contracts';
import { Module } from '@nestjs/common';
import { MessagingModule, outboxProviders, TransactionalOutbox } from '@convergio/messaging';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { expectEventually } from '@convergio/testing';
import { GATEWAY_SCHEMA, GATEWAY_SERVICE } from '../gateway.schema.js';
import { gatewayPersistence } from '../index.js';
import { jest } from '@jest/globals';
import { newApiKeySecret } from './api-key-secret.js';
import { ApiKeyService, BOOTSTRAP_ADMIN_NAME } from './api-key.service.js';
import { KeyRevocations, ListeningKeyRevocations, LocalKeyRevocations } from './key-revocations.js';

@Module({
  imports: [MessagingModule.forService(GATEWAY_SERVICE)],
  providers: [
    ...outboxProviders(GATEWAY_SCHEMA),
    ApiKeyService,
    { provide: KeyRevocations, useClass: ListeningKeyRevocations },
  ],
})
class KeysOnly {}

const ADMIN = '11111111-1111-4111-8111-111111111111';

describe('ApiKeyService', () => {
  let h: ServiceHarness;
  let keys: ApiKeyService;

  beforeAll(async () => {
    h = await startServiceHarness({ ...gatewayPersistence, feature: KeysOnly });
    keys = h.app.get(ApiKeyService);
  });
  afterAll(() => h?.close());

  it('gives a publisher key its publisher, carried by the principal', async () => {
    const created = await keys.create(
      { name: 'ci', roles: ['publisher'], publisher: 'acme' },
      ADMIN,
    );
    expect(created).toMatchObject({ roles: ['publisher'], publisher: 'acme' });
    expect(await keys.authenticate(created.key)).toEqual({
      keyId: created.id,
      name: 'ci',
      roles: ['publisher'],
      publisher: 'acme',
      issuedBy: ADMIN,
      secretValidUntil: null,
    });
  });

  it('refuses a publisher key without a publisher, naming the field', async () => {
    await expect(
      keys.create({ name: 'ci', roles: ['publisher', 'invoker'] }, ADMIN),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      details: [expect.objectContaining({ path: '/publisher' })],
    });
  });

  it('refuses a publisher on a key without the publisher role', async () => {
    await expect(
      keys.create({ name: 'core', roles: ['invoker'], publisher: 'acme' }, ADMIN),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      details: [expect.objectContaining({ path: '/publisher' })],
    });
  });

  it('answers a revocation with the revoked key; a second one is invalid_state, an unknown key not_found', async () => {
    const created = await keys.create({ name: 'temp', roles: ['invoker'] }, ADMIN);
    const revoked = await keys.revoke(created.id, ADMIN);
    expect(revoked).toEqual({
      id: created.id,
      name: 'temp',
      roles: ['invoker'],
      publisher: null,
      issued_by: ADMIN,
      created_at: expect.any(String),
      revoked_at: expect.any(String),
    });
    await expect(keys.authenticate(created.key)).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(keys.revoke(created.id, ADMIN)).rejects.toMatchObject({
      code: 'invalid_state',
      message: expect.stringContaining(revoked.revoked_at!),
    });
    await expect(keys.revoke('00000000-0000-4000-8000-000000000000', ADMIN)).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('records who created and who revoked a key, never the key itself', async () => {
    const created = await keys.create({ name: 'audited', roles: ['invoker'] }, ADMIN);
    await keys.revoke(created.id, ADMIN);
    const ofKey = (type: string) =>
      h.events.filter(
        (e) => e.type === type && (e.data as { key_id: string }).key_id === created.id,
      );
    await expectEventually(() => expect(ofKey('api_key.revoked')).toHaveLength(1));
    expect(ofKey('api_key.created').map((e) => e.data)).toEqual([
      { key_id: created.id, name: 'audited', roles: ['invoker'], publisher: null, actor: ADMIN },
    ]);
    expect(ofKey('api_key.revoked').map((e) => e.data)).toEqual([
      { key_id: created.id, name: 'audited', actor: ADMIN },
    ]);
    expect(JSON.stringify(h.events)).not.toContain(created.key);
  });

  it('publishes nothing for a refused key request or a second revocation', async () => {
    const before = h.events.length;
    await expect(keys.create({ name: 'bad', roles: ['publisher'] }, ADMIN)).rejects.toMatchObject({
      code: 'validation_failed',
    });
    const created = await keys.create({ name: 'once', roles: ['invoker'] }, ADMIN);
    await keys.revoke(created.id, ADMIN);
    await expect(keys.revoke(created.id, ADMIN)).rejects.toMatchObject({ code: 'invalid_state' });
    await expectEventually(() => expect(h.events.length).toBe(before + 2));
    expect(h.events.slice(before).map((e) => e.type)).toEqual([
      'api_key.created',
      'api_key.revoked',
    ]);
  });

  it('announces a key change only once it is stored: a transaction that fails publishes nothing', async () => {
    const before = h.events.length;
    // The revocation's transaction fails after the event was written: a trigger refuses the row.
    const created = await keys.create({ name: 'rolled-back', roles: ['invoker'] }, ADMIN);
    await h.dataSource.query(`CREATE FUNCTION gateway.refuse() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION 'refused'; END $$`);
    await h.dataSource.query(`CREATE CONSTRAINT TRIGGER refuse AFTER UPDATE ON gateway.api_keys
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gateway.refuse()`);
    try {
      await expect(keys.revoke(created.id, ADMIN)).rejects.toThrow('refused');
    } finally {
      await h.dataSource.query('DROP TRIGGER refuse ON gateway.api_keys');
      await h.dataSource.query('DROP FUNCTION gateway.refuse()');
    }
    await expectEventually(() => expect(h.events.length).toBe(before + 1));
    await keys.revoke(created.id, ADMIN);
    await expectEventually(() => expect(h.events.length).toBe(before + 2));
    expect(h.events.slice(before).map((e) => e.type)).toEqual([
      'api_key.created',
      'api_key.revoked',
    ]);
  });

  it('issues a key with a given secret once: the same secret again creates nothing', async () => {
    const secret = 'cvg_operator-chosen-secret-0123456789';
    const first = await keys.create({ name: 'boot', roles: ['admin'] }, 'gateway', secret);
    await keys.create({ name: 'boot', roles: ['admin'] }, 'gateway', secret);
    expect((await keys.authenticate(secret)).keyId).toBe(first.id);
    await expectEventually(() =>
      expect(
        h.events.filter(
          (e) => e.type === 'api_key.created' && (e.data as { name: string }).name === 'boot',
        ),
      ).toHaveLength(1),
    );
  });

  it('lists keys with roles and publisher, never the key or its hash', async () => {
    const invoker = await keys.create({ name: 'core', roles: ['invoker'] }, ADMIN);
    await keys.revoke(invoker.id, ADMIN);

    const { keys: listed } = await keys.list({ limit: 500 });

    expect(listed).toContainEqual({
      id: invoker.id,
      name: 'core',
      roles: ['invoker'],
      publisher: null,
      issued_by: ADMIN,
      created_at: expect.any(String),
      revoked_at: expect.any(String),
    });
    expect(listed.find((k) => k.publisher === 'acme')).toMatchObject({ revoked_at: null });
    const text = JSON.stringify(listed);
    expect(text).not.toContain(invoker.key);
    expect(text).not.toMatch(/hash/i);
  });

  it('pages the key list with a cursor, oldest first, each key once', async () => {
    // Keys created within one millisecond: the cursor keeps the database's microseconds.
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        keys.create({ name: `page-${i}`, roles: ['invoker'] }, ADMIN),
      ),
    );
    const all = (await keys.list({ limit: 500 })).keys.map((k) => k.id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await keys.list({ limit: 2, cursor });
      expect(page.keys.length).toBeLessThanOrEqual(2);
      seen.push(...page.keys.map((k) => k.id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined && seen.length <= all.length);
    expect(seen).toEqual(all);
    for (const forged of ['Zm9yZ2Vk', encodePageCursor('api-keys', ['soon', all[0]])])
      await expect(keys.list({ limit: 2, cursor: forged })).rejects.toMatchObject({
        code: 'validation_failed',
        details: [expect.objectContaining({ code: 'invalid_cursor', path: '/cursor' })],
      });
  });

  it('refuses a key not of the issued shape without asking the database, an unknown one with one query', async () => {
    // Every query of the service starts with a query runner of its own.
    const runners = jest.spyOn(h.dataSource, 'createQueryRunner');
    try {
      for (const key of ['nope', 'cvg_short', `cvg_${'A'.repeat(44)}`, `xyz_${'A'.repeat(43)}`])
        await expect(keys.authenticate(key)).rejects.toMatchObject({
          code: 'unauthorized',
          message: expect.stringContaining('not of the shape the platform issues'),
        });
      expect(runners).not.toHaveBeenCalled();
      await expect(keys.authenticate(newApiKeySecret())).rejects.toMatchObject({
        code: 'unauthorized',
        message: 'the API key is unknown, revoked or rotated out',
      });
      expect(runners).toHaveBeenCalledTimes(1);
    } finally {
      runners.mockRestore();
    }
  });

  it("takes an operator's bootstrap admin key of its own shape, on another replica once it has read them", async () => {
    const secret = 'operator-chosen-admin-key-of-any-shape';
    const created = await keys.create(
      { name: BOOTSTRAP_ADMIN_NAME, roles: ['admin'] },
      'gateway',
      secret,
    );
    await expect(keys.authenticate(secret)).resolves.toMatchObject({ keyId: created.id });
    const replica = new ApiKeyService(
      h.dataSource,
      h.app.get(KeyRevocations),
      h.app.get(TransactionalOutbox),
    );
    await expect(replica.authenticate(secret)).rejects.toMatchObject({ code: 'unauthorized' });
    await replica.loadBootstrapSecrets();
    await expect(replica.authenticate(secret)).resolves.toMatchObject({ keyId: created.id });
  });

  it('caches nothing read before a forget: a rotation committing while the old secret is checked (one replica)', async () => {
    const local = new ApiKeyService(
      h.dataSource,
      new LocalKeyRevocations(),
      h.app.get(TransactionalOutbox),
    );
    const created = await keys.create({ name: 'core', roles: ['invoker'] }, ADMIN);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const query = h.dataSource.query.bind(h.dataSource);
    const reads = jest.spyOn(h.dataSource, 'query').mockImplementationOnce(async (...args) => {
      const rows: unknown = await query(...args);
      await held;
      return rows;
    });
    try {
      const checking = local.authenticate(created.key);
      // What the rotation does once it has committed; then the secret is no longer current.
      local.forget(created.id);
      await h.dataSource.query('UPDATE gateway.api_keys SET revoked_at = now() WHERE id = $1', [
        created.id,
      ]);
      release();
      await expect(checking).resolves.toMatchObject({ keyId: created.id });
      await expect(local.authenticate(created.key)).rejects.toMatchObject({
        code: 'unauthorized',
      });
    } finally {
      reads.mockRestore();
    }
  });

  describe('beside another replica on the same database', () => {
    let feed: ListeningKeyRevocations;
    let other: ApiKeyService;

    beforeEach(async () => {
      feed = new ListeningKeyRevocations(h.dataSource);
      await feed.onModuleInit();
      other = new ApiKeyService(h.dataSource, feed, h.app.get(TransactionalOutbox));
    });
    afterEach(() => feed.onApplicationShutdown());

    it('refuses a key it had verified as soon as this replica revokes it, well before its cache expires', async () => {
      const created = await keys.create({ name: 'core', roles: ['invoker'] }, ADMIN);
      await expect(other.authenticate(created.key)).resolves.toMatchObject({ keyId: created.id });
      await keys.revoke(created.id, ADMIN);
      await expectEventually(
        () =>
          expect(other.authenticate(created.key)).rejects.toMatchObject({ code: 'unauthorized' }),
        { timeoutMs: 1000, intervalMs: 20 },
      );
    });

    it('trusts no verified key while revocations cannot reach it', async () => {
      const created = await keys.create({ name: 'core', roles: ['invoker'] }, ADMIN);
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
