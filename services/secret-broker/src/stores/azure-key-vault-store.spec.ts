import { AzureKeyVaultStore } from './azure-key-vault-store.js';
import { SecretStoreError } from './secret-store.js';
import { startLocalKeyVault, type LocalKeyVault } from '@convergio/testing';

/**
 * The Azure adapter with the real SDK (`@azure/keyvault-secrets`, DefaultAzureCredential through
 * its managed-identity path) against a Key Vault on loopback over HTTPS.
 */
describe('Azure Key Vault store', () => {
  let vault: LocalKeyVault;
  const saved = { ...process.env };

  beforeAll(async () => {
    vault = await startLocalKeyVault();
    for (const name of Object.keys(process.env))
      if (name.startsWith('AZURE_')) delete process.env[name];
    Object.assign(process.env, vault.identityEnv);
    vault.secrets.set('db-password', 'from-the-vault-9Xk2');
  });
  afterAll(async () => {
    process.env = saved;
    await vault?.close();
  });

  const store = (options: { cacheMs?: number; now?: () => number; vaultUrl?: string } = {}) =>
    new AzureKeyVaultStore(
      {
        vaultUrl: options.vaultUrl ?? vault.vaultUrl,
        cacheMs: options.cacheMs ?? 0,
        ca: vault.ca,
        disableChallengeResourceVerification: true,
      },
      options.now,
    );

  // First: MSAL keeps a managed identity's token for the whole process once it has one.
  it('says store_denied when the identity gets no token', async () => {
    vault.identityRefuses = true;
    try {
      await expect(store().get('db-password')).rejects.toMatchObject({ code: 'store_denied' });
    } finally {
      vault.identityRefuses = false;
    }
  });

  it('reads a secret after the challenge, with a token from the managed identity', async () => {
    vault.vaultRequests.length = 0;
    vault.tokenRequests.length = 0;
    expect(await store().get('db-password')).toBe('from-the-vault-9Xk2');
    expect(vault.vaultRequests[0]).toMatchObject({
      path: '/secrets/db-password/',
      authorization: undefined,
    });
    expect(vault.vaultRequests.at(-1)?.authorization).toMatch(/^Bearer [0-9a-f]{32}$/);
    expect(vault.tokenRequests.at(-1)).toEqual({
      resource: 'https://vault.azure.net',
      identityHeader: vault.identityEnv.IDENTITY_HEADER,
    });
  });

  it('reuses a value for the cache time, then reads it again', async () => {
    let now = 1_000_000;
    const cached = store({ cacheMs: 30_000, now: () => now });
    expect(await cached.get('db-password')).toBe('from-the-vault-9Xk2');
    const reads = () => vault.vaultRequests.filter((r) => r.authorization).length;
    const before = reads();
    vault.secrets.set('db-password', 'rotated-value-4Hq7');
    expect(await cached.get('db-password')).toBe('from-the-vault-9Xk2');
    expect(reads()).toBe(before);
    now += 30_001;
    expect(await cached.get('db-password')).toBe('rotated-value-4Hq7');
    vault.secrets.set('db-password', 'from-the-vault-9Xk2');
  });

  it('answers undefined for a secret the vault does not have', async () => {
    expect(await store().get('no-such-secret')).toBeUndefined();
  });

  it('says store_denied when an access policy refuses, never naming a value', async () => {
    vault.denied.add('locked');
    await expect(store().get('locked')).rejects.toMatchObject({
      code: 'store_denied',
      name: 'SecretStoreError',
    });
  });

  it('says store_unreachable when nothing answers at the vault URL', async () => {
    const error = await store({ vaultUrl: 'https://127.0.0.1:9' })
      .get('db-password')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretStoreError);
    expect(error).toMatchObject({ code: 'store_unreachable' });
  });

  it('refuses a vault whose certificate it was not told to trust', async () => {
    const untrusting = new AzureKeyVaultStore({
      vaultUrl: vault.vaultUrl,
      cacheMs: 0,
      disableChallengeResourceVerification: true,
    });
    await expect(untrusting.get('db-password')).rejects.toMatchObject({
      code: 'store_unreachable',
    });
  });
});
