import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { expectEventually, startLocalKeyVault, type LocalKeyVault } from '@convergio/testing';
import { SecretPlatform } from './support/secret-platform.js';

const VALUE = 'kv-Value-8Jd3Ls0Pq';
const READER = 'e2e.kv-reader';

/**
 * A platform whose broker reads Azure Key Vault (a local HTTPS one with challenge authentication,
 * reached through DefaultAzureCredential's managed-identity path): a plugin reads its granted
 * secret from it, missing and denied secrets are coded, and the embedded store cannot be changed.
 */
describe('secrets from Azure Key Vault end to end', () => {
  let vault: LocalKeyVault;
  let p: SecretPlatform;

  beforeAll(async () => {
    vault = await startLocalKeyVault();
    vault.secrets.set('kv-secret', VALUE);
    const caFile = join(await mkdtemp(join(tmpdir(), 'cvg-kv-')), 'vault-ca.pem');
    await writeFile(caFile, vault.ca);
    p = await SecretPlatform.start({
      AZURE_KEY_VAULT_URL: vault.vaultUrl,
      AZURE_KEY_VAULT_CA_FILE: caFile,
      AZURE_KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'true',
      ...vault.identityEnv,
    });
    await p.publishApproved(READER, {
      'secrets.read': { ids: ['kv-secret', 'kv-missing', 'kv-locked'] },
    });
  }, 120_000);

  afterAll(async () => {
    await p?.stop();
    await vault?.close();
  }, 60_000);

  it('reads a granted secret from the vault, after the challenge, scrubbed from the output', async () => {
    const res = await expectEventually(
      async () => {
        const r = await p.invoke(READER, 'leak_secret', { id: 'kv-secret' });
        expect(r.body.output).toEqual({ leaked: '[REDACTED]' });
        return r;
      },
      { timeoutMs: 20_000 },
    );
    expect(res.text).not.toContain(VALUE);
    const unauthenticated = vault.vaultRequests.find((r) => r.path === '/secrets/kv-secret/');
    expect(unauthenticated?.authorization).toBeUndefined();
    expect(vault.tokenRequests.length).toBeGreaterThan(0);
  });

  it('answers not_found for a secret the vault lacks and io_error when it denies', async () => {
    const read = async (id: string): Promise<unknown> =>
      (await p.invoke(READER, 'leak_secret', { id })).body.output;
    expect(await read('kv-missing')).toMatchObject({ error: { code: 'not_found' } });
    vault.denied.add('kv-locked');
    expect(await read('kv-locked')).toMatchObject({ error: { code: 'io_error' } });
    expect(await read('kv-secret')).toEqual({ leaked: '[REDACTED]' });
  });

  it('refuses embedded-store changes with 409: secrets are managed in Azure', async () => {
    const res = await request(p.info.gatewayUrl)
      .put('/v1/secrets/kv-secret')
      .set(p.auth())
      .send({ value: 'x' })
      .expect(409);
    expect(res.body.error.code).toBe('invalid_state');
    await request(p.info.gatewayUrl).delete('/v1/secrets/kv-secret').set(p.auth()).expect(409);
  });

  it('leaves the value in no service log or event, and says why a read failed', async () => {
    const logs = await p.logs();
    expect(logs).toContain('store_denied');
    expect(logs).not.toContain(VALUE);
    expect(p.events.some((e) => e.includes('secret.accessed'))).toBe(true); // events were captured
    expect(p.events.join('\n')).not.toContain(VALUE);
  });
});
