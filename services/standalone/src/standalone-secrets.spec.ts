import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ConfigError, loadConfig } from '@convergio/config';
import { aManifest, createPublisherKey, exampleModule, expectEventually } from '@convergio/testing';
import { StandaloneConfig } from './config/standalone.config.js';
import { startStandalone, type Standalone } from './standalone.js';

const VALUE = 'standalone-Secret-5Rt8';

describe('standalone mode: secrets', () => {
  let dataDir: string;
  let platform: Standalone | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cvg-standalone-secrets-'));
  });
  afterAll(async () => {
    await platform?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const config = (dir: string) =>
    // ADMIN_KEY_FILE unset: the admin key goes into the data directory too.
    loadConfig(StandaloneConfig, { DATA_DIR: dir, PORT: '0' });

  it('generates the store key and the admin key into the data directory, and a plugin reads its secret across a restart', async () => {
    let p = (platform = await startStandalone(config(dataDir)));
    const keyFile = join(dataDir, 'secret-store-key');
    const storeKey = readFileSync(keyFile, 'utf8').trim();
    expect(Buffer.from(storeKey, 'base64')).toHaveLength(32);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const admin = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
    const auth = { Authorization: `Bearer ${admin}` };
    await request(p.url)
      .put('/v1/secrets/db-password')
      .set(auth)
      .send({ value: VALUE })
      .expect(200);

    const module = exampleModule('hostile.wasm');
    const manifest = aManifest(
      {
        id: 'example.secrets',
        entrypoint: 'hostile.wasm',
        capabilities: {
          tools: [
            { name: 'leak_secret', function: 'leak_secret', description: 'leak', input_schema: {} },
          ],
        },
        permissions: { 'secrets.read': { ids: ['db-password'] } },
      },
      module,
    );
    const publisher = await createPublisherKey(p.url, admin, 'example');
    await request(p.url)
      .post('/v1/plugins')
      .set({ Authorization: `Bearer ${publisher}` })
      .attach('manifest', Buffer.from(JSON.stringify(manifest)), 'plugin.json')
      .attach('module', module, 'hostile.wasm')
      .expect(202);
    await expectEventually(
      () =>
        request(p.url)
          .post('/v1/approvals/example.secrets/1.0.0/approve')
          .set(auth)
          .send({})
          .expect(200),
      { timeoutMs: 20_000 },
    );
    const leak = async () => {
      const res = await request(p.url)
        .post('/v1/plugins/example.secrets/invoke')
        .set(auth)
        .send({ function: 'leak_secret', input: { id: 'db-password' } });
      expect(res.body.output).toEqual({ leaked: '[REDACTED]' });
      expect(res.text).not.toContain(VALUE);
    };
    await expectEventually(leak, { timeoutMs: 20_000 });

    await p.stop();
    p = platform = await startStandalone(config(dataDir));
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(storeKey);
    await expectEventually(leak, { timeoutMs: 20_000 });
  });

  it('refuses to start with a store key file that holds something else', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cvg-standalone-badkey-'));
    try {
      await writeFile(join(dir, 'secret-store-key'), 'not a key\n');
      await expect(startStandalone(config(dir))).rejects.toThrow(ConfigError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
