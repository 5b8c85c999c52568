import { ConfigError, loadConfig } from '@convergio/config';
import { EventSubjects, RequestSubjects } from '@convergio/contracts';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { SecretBrokerConfig, secretBrokerSettings } from './config/secret-broker.config.js';
import { secretBrokerPersistence, SecretBrokerModule } from './index.js';
import { SecretBrokerSecretIdsIgnoreCase1767300000000 } from './migrations/1767300000000-secret-broker-secret-ids-ignore-case.js';
import { sealValue } from './stores/sealed-value.js';
import { SECRET_STORE, type SecretStore } from './stores/secret-store.js';
import { SigningKeyRepository } from './tokens/signing-key.repository.js';

const STORE_KEY = Buffer.alloc(32, 1).toString('base64');
const base = {
  DATABASE_URL: 'postgres://broker@127.0.0.1:5432/convergio',
  SECRET_STORE_KEY: STORE_KEY,
};
const settingsOf = (env: Record<string, string>) =>
  secretBrokerSettings(loadConfig(SecretBrokerConfig, env));

describe('secret broker configuration', () => {
  it('reads an Azure Key Vault URL only over https', () => {
    expect(
      settingsOf({ ...base, AZURE_KEY_VAULT_URL: 'https://vault.vault.azure.net' }).store,
    ).toMatchObject({
      kind: 'azure',
      vaultUrl: 'https://vault.vault.azure.net',
    });
    expect(() =>
      loadConfig(SecretBrokerConfig, { ...base, AZURE_KEY_VAULT_URL: 'http://vault.example' }),
    ).toThrow(ConfigError);
    expect(settingsOf(base).store.kind).toBe('embedded');
  });

  it('defaults tokens to 60 s and refuses more than 15 minutes', () => {
    expect(settingsOf(base).tokenTtlS).toBe(60);
    expect(settingsOf({ ...base, SECRET_TOKEN_TTL_S: '900' }).tokenTtlS).toBe(900);
    expect(() => settingsOf({ ...base, SECRET_TOKEN_TTL_S: '901' })).toThrow(ConfigError);
    expect(() => settingsOf({ ...base, SECRET_TOKEN_TTL_S: '0' })).toThrow(ConfigError);
  });

  it('refuses an embedded store without a 32-byte key, never printing the key', () => {
    const { SECRET_STORE_KEY: _, ...noKey } = base;
    expect(() => settingsOf(noKey)).toThrow(/SECRET_STORE_KEY/);
    const short = Buffer.alloc(16, 9).toString('base64');
    let error: unknown;
    try {
      settingsOf({ ...base, SECRET_STORE_KEY: short });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).not.toContain(short);
  });

  it('refuses brokered forms that are not a map of secret id to first or last n', () => {
    expect(
      settingsOf({ ...base, SECRET_RELEASE_FORMS: '{"api-key":{"last":4}}' }).releaseForms.get(
        'api-key',
      ),
    ).toEqual({
      last: 4,
    });
    for (const bad of [
      '{',
      '{"api-key":{"last":0}}',
      '{"../x":{"first":2}}',
      '{"k":{"middle":2}}',
      '{"card-number":{"last":4},"CARD-NUMBER":{"first":64}}',
      '[]',
    ])
      expect(() => settingsOf({ ...base, SECRET_RELEASE_FORMS: bad })).toThrow(
        /SECRET_RELEASE_FORMS/,
      );
  });
});

describe('secret broker: embedded store administration', () => {
  let h: ServiceHarness;

  beforeAll(async () => {
    h = await startServiceHarness({
      ...secretBrokerPersistence,
      feature: SecretBrokerModule.register(settingsOf(base)),
    });
  });
  afterAll(() => h?.close());

  const rows = () =>
    h.dataSource.query<{ id: string }[]>(
      `SELECT id FROM secret_broker.embedded_secrets ORDER BY id`,
    );

  it('boots on its own schema with one signing key', async () => {
    const tables = await h.dataSource.query<{ table_name: string }[]>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'secret_broker' ORDER BY 1`,
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'embedded_secrets',
      'embedded_secrets_case_conflicts',
      'migrations',
      'outbox',
      'processed_events',
      'secret_grants',
      'signing_keys',
    ]);
    expect(await h.dataSource.query(`SELECT name FROM secret_broker.signing_keys`)).toEqual([
      { name: 'current' },
    ]);
  });

  it('gives every replica the same signing key, even when they start together', async () => {
    const replicas = [1, 2, 3].map(() => new SigningKeyRepository(h.dataSource));
    const keys = await Promise.all(replicas.map((r) => r.current()));
    const der = keys.map((k) =>
      k.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
    );
    const own = await h.app.get(SigningKeyRepository).current();
    expect(
      new Set([...der, own.publicKey.export({ format: 'der', type: 'spki' }).toString('hex')]).size,
    ).toBe(1);
    expect(
      await h.dataSource.query(`SELECT count(*)::int AS n FROM secret_broker.signing_keys`),
    ).toEqual([{ n: 1 }]);
  });

  it('stores, replaces and deletes a secret, each an event with its actor and never the value', async () => {
    const put = (value: string) =>
      h.bus.request(RequestSubjects.SecretsPut, { id: 'api-key', value, actor: 'key-1' });
    expect(await put('first-value-123')).toEqual({ id: 'api-key', created: true });
    expect(await put('second-value-456')).toEqual({ id: 'api-key', created: false });
    expect(
      await h.bus.request(RequestSubjects.SecretsDelete, { id: 'api-key', actor: 'key-2' }),
    ).toEqual({
      id: 'api-key',
    });
    const changes = h.events
      .filter((e) => e.type === EventSubjects.SecretChanged)
      .map((e) => e.data);
    expect(changes).toEqual([
      { secret_id: 'api-key', action: 'stored', actor: 'key-1' },
      { secret_id: 'api-key', action: 'stored', actor: 'key-1' },
      { secret_id: 'api-key', action: 'deleted', actor: 'key-2' },
    ]);
    expect(JSON.stringify(h.events)).not.toMatch(/first-value-123|second-value-456/);
    expect(await rows()).toEqual([]);
  });

  it('announces a secret change only once it is stored: a transaction that fails publishes nothing', async () => {
    const before = h.events.length;
    await h.dataSource.query(`CREATE FUNCTION secret_broker.refuse() RETURNS trigger
      LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$`);
    await h.dataSource.query(`CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON
      secret_broker.embedded_secrets DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
      EXECUTE FUNCTION secret_broker.refuse()`);
    try {
      await expect(
        h.bus.request(RequestSubjects.SecretsPut, { id: 'never-kept', value: 'v', actor: 'k' }),
      ).rejects.toThrow();
    } finally {
      await h.dataSource.query('DROP TRIGGER refuse ON secret_broker.embedded_secrets');
      await h.dataSource.query('DROP FUNCTION secret_broker.refuse()');
    }
    expect(await rows()).toEqual([]);
    expect(h.events.length).toBe(before);
  });

  it('refuses bad ids, oversized values and unknown deletes, changing nothing', async () => {
    const before = h.events.length;
    await expect(
      h.bus.request(RequestSubjects.SecretsPut, { id: 'a/b', value: 'v', actor: 'k' }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(
      h.bus.request(RequestSubjects.SecretsPut, {
        id: 'big',
        value: 'é'.repeat(13_000),
        actor: 'k',
      }),
    ).rejects.toMatchObject({ code: 'payload_too_large' });
    await expect(
      h.bus.request(RequestSubjects.SecretsDelete, { id: 'never-stored', actor: 'k' }),
    ).rejects.toMatchObject({ code: 'not_found' });
    expect(await rows()).toEqual([]);
    expect(h.events.length).toBe(before);
  });

  // UTF-8 cannot hold a lone surrogate: it was stored as U+FFFD, a value nobody gave.
  it.each([
    ['a lone high surrogate', 'pass\ud800word'],
    ['a lone low surrogate at the end', 'password\udc00'],
    ['a reversed pair', 'pass\udc00\ud800word'],
  ])('refuses a value with %s, changing nothing', async (_what, value) => {
    const before = h.events.length;
    await expect(
      h.bus.request(RequestSubjects.SecretsPut, { id: 'odd-value', value, actor: 'k' }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    expect(await rows()).toEqual([]);
    expect(h.events.length).toBe(before);
  });

  it('stores a value with surrogate pairs (an emoji) as it is', async () => {
    const put = { id: 'emoji-value', value: 'pass-\u{1F511}-word', actor: 'k' };
    expect(await h.bus.request(RequestSubjects.SecretsPut, put)).toEqual({
      id: 'emoji-value',
      created: true,
    });
    await h.bus.request(RequestSubjects.SecretsDelete, { id: 'emoji-value', actor: 'k' });
  });

  it('takes ids that differ only in case for one secret, as Azure Key Vault does', async () => {
    const put = (id: string, value: string) =>
      h.bus.request(RequestSubjects.SecretsPut, { id, value, actor: 'k' });
    expect(await put('my-secret', 'one')).toEqual({ id: 'my-secret', created: true });
    expect(await put('MY-SECRET', 'two')).toEqual({ id: 'MY-SECRET', created: false });
    expect(await put('My-Secret', 'three')).toEqual({ id: 'My-Secret', created: false });
    const store = h.app.get<SecretStore>(SECRET_STORE);
    for (const id of ['my-secret', 'MY-SECRET', 'mY-sEcReT'])
      expect(await store.get(id)).toBe('three');
    expect(await rows()).toEqual([{ id: 'My-Secret' }]);
    expect(
      await h.bus.request(RequestSubjects.SecretsDelete, { id: 'MY-SECRET', actor: 'k' }),
    ).toEqual({ id: 'MY-SECRET' });
    expect(await rows()).toEqual([]);
    expect(await store.get('my-secret')).toBeUndefined();
  });

  it('migrates ids that differ only in case to the one written last, setting the others aside', async () => {
    const migration = new SecretBrokerSecretIdsIgnoreCase1767300000000();
    const q = h.dataSource.createQueryRunner();
    const key = Buffer.from(STORE_KEY, 'base64');
    const insert = async (id: string, value: string, writtenAt: string) => {
      const sealed = sealValue(key, id, value);
      await q.query(
        `INSERT INTO secret_broker.embedded_secrets (id, nonce, ciphertext, updated_at) VALUES ($1, $2, $3, $4)`,
        [id, sealed.nonce.toString('base64'), sealed.ciphertext.toString('base64'), writtenAt],
      );
    };
    try {
      await migration.down(q);
      await insert('card-number', 'older', '2026-01-01T00:00:00Z');
      await insert('CARD-NUMBER', 'newer', '2026-02-01T00:00:00Z');
      await insert('Card-Number', 'oldest', '2025-12-01T00:00:00Z');
      await insert('db-password', 'alone', '2026-01-01T00:00:00Z');
      await migration.up(q);
      expect(await rows()).toEqual([{ id: 'CARD-NUMBER' }, { id: 'db-password' }]);
      const store = h.app.get<SecretStore>(SECRET_STORE);
      expect(await store.get('card-number')).toBe('newer');
      expect(await store.get('DB-PASSWORD')).toBe('alone');
      expect(
        await q.query(
          `SELECT id FROM secret_broker.embedded_secrets_case_conflicts ORDER BY updated_at`,
        ),
      ).toEqual([{ id: 'Card-Number' }, { id: 'card-number' }]);
    } finally {
      await q.query(`DELETE FROM secret_broker.embedded_secrets`);
      await q.query(`DELETE FROM secret_broker.embedded_secrets_case_conflicts`);
      await q.release();
    }
  });
});

describe('secret broker: Azure mode', () => {
  let h: ServiceHarness;

  beforeAll(async () => {
    h = await startServiceHarness({
      ...secretBrokerPersistence,
      feature: SecretBrokerModule.register(
        settingsOf({ ...base, AZURE_KEY_VAULT_URL: 'https://127.0.0.1:9/' }),
      ),
    });
  });
  afterAll(() => h?.close());

  it('refuses embedded-store changes: secrets are managed in Azure', async () => {
    await expect(
      h.bus.request(RequestSubjects.SecretsPut, { id: 'api-key', value: 'v', actor: 'k' }),
    ).rejects.toMatchObject({ code: 'invalid_state' });
    await expect(
      h.bus.request(RequestSubjects.SecretsDelete, { id: 'api-key', actor: 'k' }),
    ).rejects.toMatchObject({
      code: 'invalid_state',
    });
    expect(h.events).toEqual([]);
  });
});
