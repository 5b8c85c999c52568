import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import {
  aManifest,
  createPublisherKey,
  exampleModule,
  expectEventually,
  startLocalKeyVault,
  startPlatform,
  type LocalKeyVault,
} from '@convergio/testing';

const VALUE = 'kv-Value-8Jd3Ls0Pq';

/**
 * A platform whose broker reads Azure Key Vault (a local HTTPS one with challenge authentication,
 * reached through DefaultAzureCredential's managed-identity path): a plugin reads its granted
 * secret from it, the embedded store cannot be changed, and an unreachable vault is a clear error.
 */
describe('secrets from Azure Key Vault end to end', () => {
  let vault: LocalKeyVault;
  let stop: (() => Promise<void>) | undefined;
  let gateway: string;
  let admin: string;
  let logsDir: string;
  const auth = () => ({ Authorization: `Bearer ${admin}` });

  beforeAll(async () => {
    vault = await startLocalKeyVault();
    vault.secrets.set('kv-secret', VALUE);
    const caFile = join(await mkdtemp(join(tmpdir(), 'cvg-kv-')), 'vault-ca.pem');
    await writeFile(caFile, vault.ca);
    const started = await startPlatform({
      AZURE_KEY_VAULT_URL: vault.vaultUrl,
      AZURE_KEY_VAULT_CA_FILE: caFile,
      AZURE_KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'true',
      ...vault.identityEnv,
    });
    stop = started.stop;
    gateway = started.info.gatewayUrl;
    admin = started.info.adminKey;
    logsDir = started.info.logsDir;
    const hostile = exampleModule('hostile.wasm');
    const manifest = aManifest(
      {
        id: 'e2e.kv-reader',
        entrypoint: 'hostile.wasm',
        capabilities: {
          tools: [
            { name: 'leak_secret', function: 'leak_secret', description: 'leak', input_schema: {} },
          ],
        },
        permissions: { 'secrets.read': { ids: ['kv-secret', 'kv-missing', 'kv-locked'] } },
      },
      hostile,
    );
    const publisher = await createPublisherKey(gateway, admin);
    await request(gateway)
      .post('/v1/plugins')
      .set({ Authorization: `Bearer ${publisher}` })
      .attach('manifest', Buffer.from(JSON.stringify(manifest)), 'plugin.json')
      .attach('module', hostile, 'hostile.wasm')
      .expect(202);
    await expectEventually(
      async () =>
        await request(gateway)
          .post('/v1/approvals/e2e.kv-reader/1.0.0/approve')
          .set(auth())
          .send({})
          .expect(200),
      { timeoutMs: 20_000 },
    );
  }, 120_000);

  afterAll(async () => {
    await stop?.();
    await vault?.close();
  }, 60_000);

  const read = (id: string) =>
    request(gateway)
      .post('/v1/plugins/e2e.kv-reader/invoke')
      .set(auth())
      .send({ function: 'leak_secret', input: { id } });

  it('reads a granted secret from the vault, after the challenge, scrubbed from the output', async () => {
    const res = await expectEventually(
      async () => {
        const r = await read('kv-secret');
        expect(r.body.output).toEqual({ leaked: '[REDACTED]' });
        return r;
      },
      { timeoutMs: 20_000 },
    );
    expect(res.text).not.toContain(VALUE);
    expect(
      vault.vaultRequests.some(
        (r) => r.path === '/secrets/kv-secret/' && r.authorization === undefined,
      ),
    ).toBe(true);
    expect(vault.tokenRequests.length).toBeGreaterThan(0);
  });

  it('answers not_found for a secret the vault lacks and io_error when it denies', async () => {
    expect((await read('kv-missing')).body.output).toMatchObject({ error: { code: 'not_found' } });
    vault.denied.add('kv-locked');
    expect((await read('kv-locked')).body.output).toMatchObject({ error: { code: 'io_error' } });
    expect((await read('kv-secret')).body.output).toEqual({ leaked: '[REDACTED]' });
  });

  it('leaves the value in no service log', async () => {
    const logs = await Promise.all(
      (await readdir(logsDir)).map((f) => readFile(join(logsDir, f), 'utf8')),
    );
    expect(logs.join('\n')).toContain('store_denied'); // the broker said why kv-locked failed
    expect(logs.join('\n')).not.toContain(VALUE);
  });

  it('refuses embedded-store changes with 409: secrets are managed in Azure', async () => {
    const res = await request(gateway)
      .put('/v1/secrets/kv-secret')
      .set(auth())
      .send({ value: 'x' })
      .expect(409);
    expect(res.body.error.code).toBe('invalid_state');
    await request(gateway).delete('/v1/secrets/kv-secret').set(auth()).expect(409);
  });
});
