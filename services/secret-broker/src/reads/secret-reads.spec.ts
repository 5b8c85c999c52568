import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import {
  EventSubjects,
  RequestSubjects,
  type EventPayloadMap,
  type Permissions,
} from '@convergio/contracts';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { aManifest } from '@convergio/testing';
import { secretBrokerSettings } from '../config/secret-broker.config.js';
import { secretBrokerPersistence, SecretBrokerModule } from '../index.js';
import { SECRET_TOKEN_AUDIENCE, SECRET_TOKEN_ISSUER } from '../tokens/secret-token.js';
import { SecretReadService } from './secret-read.service.js';

const SHA = 'a'.repeat(64);
const VALUE = 'db-password-Zq8vR2xW';
const OTHER_VALUE = 'other-secret-Hk3mP9tL';
const STORE_KEY = Buffer.alloc(32, 7).toString('base64');

describe('secret broker: tokens and reads', () => {
  let h: ServiceHarness;
  let brokerKey: KeyObject;

  beforeAll(async () => {
    h = await startServiceHarness({
      ...secretBrokerPersistence,
      feature: SecretBrokerModule.register(
        secretBrokerSettings({
          SECRET_TOKEN_TTL_S: 60,
          SECRET_STORE_KEY: STORE_KEY,
          AZURE_KEY_VAULT_CACHE_S: 30,
          AZURE_KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: false,
          SECRET_RELEASE_FORMS: JSON.stringify({ 'card-number': { last: 4 } }),
        }),
      ),
    });
    for (const [id, value] of [
      ['db-password', VALUE],
      ['other-secret', OTHER_VALUE],
      ['card-number', '4111111111111234'],
    ])
      await h.bus.request(RequestSubjects.SecretsPut, { id, value, actor: 'admin-key-id' });
    await approve('acme.reader', '1.0.0', {
      'secrets.read': { ids: ['db-password', 'card-number'] },
    });
    await approve('acme.reader', '1.1.0', { 'secrets.read': { ids: ['db-password'] } });
    await approve('acme.other', '1.0.0', { 'secrets.read': { ids: ['other-secret'] } });
    await approve('acme.bystander', '1.0.0', { 'secrets.read': { ids: ['db-password'] } });
    await approve('acme.plain', '1.0.0', {});
    const [row] = await h.dataSource.query<{ private_key_pem: string }[]>(
      `SELECT private_key_pem FROM secret_broker.signing_keys`,
    );
    brokerKey = createPrivateKey(row.private_key_pem);
  });
  afterAll(() => h?.close());

  async function approve(id: string, version: string, permissions: Permissions) {
    const eventId = await h.bus.publish(EventSubjects.PluginApproved, {
      plugin_id: id,
      version,
      manifest: aManifest({ id, version, permissions, signing: { sha256: SHA } }),
      module_sha256: SHA,
      trust: 'untrusted',
      approved_by: 'auto',
    });
    await h.redeliver(eventId); // idempotent: the second delivery changes nothing
  }

  /** Publishes an event and waits until the broker has handled it (a redelivery waits for it). */
  async function delivered<S extends 'plugin.revoked' | 'signer.revoked'>(
    subject: S,
    data: EventPayloadMap[S],
  ) {
    await h.redeliver(await h.bus.publish(subject, data));
  }

  const issue = async (plugin_id: string, version: string) =>
    (
      await h.bus.request(RequestSubjects.SecretsTokenIssue, {
        plugin_id,
        version,
        module_sha256: SHA,
      })
    ).token;
  const read = (token: string, plugin_id: string, version: string, secret_id: string) =>
    h.bus.request(RequestSubjects.SecretsRead, { token, plugin_id, version, secret_id });

  /** The refusal the plugin gets, the permission.denied it leaves, and a bystander still served. */
  async function expectRefused(
    reply: Awaited<ReturnType<typeof read>>,
    plugin: string,
    secret: string,
    reason: RegExp,
  ) {
    expect(reply).toEqual({
      error: { code: 'permission_denied', message: expect.stringMatching(reason) },
    });
    await h.waitFor(
      EventSubjects.PermissionDenied,
      (e) => e.data.plugin_id === plugin && e.data.target === secret && reason.test(e.data.reason),
    );
    const bystander = await issue('acme.bystander', '1.0.0');
    expect(await read(bystander, 'acme.bystander', '1.0.0', 'db-password')).toEqual({
      value: VALUE,
    });
  }

  it('signs an EdDSA token scoped to the version, its module and its granted ids', async () => {
    const token = await issue('acme.reader', '1.0.0');
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', typ: 'JWT' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      sub: 'acme.reader',
      ver: '1.0.0',
      mod: SHA,
      sec: ['db-password', 'card-number'],
      aud: SECRET_TOKEN_AUDIENCE,
      iss: SECRET_TOKEN_ISSUER,
    });
    expect(claims.exp! - claims.iat!).toBe(60);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(decodeJwt(await issue('acme.reader', '1.0.0')).jti).not.toBe(claims.jti);
  });

  it('releases a granted secret and records secret.accessed without the value', async () => {
    const token = await issue('acme.reader', '1.0.0');
    expect(await read(token, 'acme.reader', '1.0.0', 'db-password')).toEqual({ value: VALUE });
    const accessed = await h.waitFor(
      EventSubjects.SecretAccessed,
      (e) => e.data.plugin_id === 'acme.reader',
    );
    expect(accessed.data).toEqual({
      plugin_id: 'acme.reader',
      version: '1.0.0',
      secret_id: 'db-password',
    });
    expect(JSON.stringify(h.events)).not.toContain(VALUE);
  });

  it('releases only the brokered form an operator configured', async () => {
    const token = await issue('acme.reader', '1.0.0');
    expect(await read(token, 'acme.reader', '1.0.0', 'card-number')).toEqual({ value: '1234' });
  });

  it('keeps values encrypted at rest, bound to their id', async () => {
    const rows = await h.dataSource.query<{ id: string; ciphertext: string }[]>(
      `SELECT id, ciphertext FROM secret_broker.embedded_secrets`,
    );
    expect(JSON.stringify(rows)).not.toContain(VALUE);
    expect(Buffer.from(JSON.stringify(rows)).toString('base64')).not.toContain(
      Buffer.from(VALUE).toString('base64'),
    );
    // A row copied under another id does not decrypt: the read fails, nothing is released.
    await h.dataSource.query(
      `UPDATE secret_broker.embedded_secrets SET nonce = s.nonce, ciphertext = s.ciphertext
       FROM secret_broker.embedded_secrets s WHERE s.id = 'db-password' AND secret_broker.embedded_secrets.id = 'other-secret'`,
    );
    const token = await issue('acme.other', '1.0.0');
    expect(await read(token, 'acme.other', '1.0.0', 'other-secret')).toEqual({
      error: { code: 'io_error', message: expect.any(String) },
    });
    await h.bus.request(RequestSubjects.SecretsPut, {
      id: 'other-secret',
      value: OTHER_VALUE,
      actor: 'k',
    });
    expect(await read(token, 'acme.other', '1.0.0', 'other-secret')).toEqual({
      value: OTHER_VALUE,
    });
  });

  it('refuses a secret outside the token scope', async () => {
    const token = await issue('acme.reader', '1.1.0');
    await expectRefused(
      await read(token, 'acme.reader', '1.1.0', 'card-number'),
      'acme.reader',
      'card-number',
      /not in the token's scope/,
    );
  });

  it("refuses another plugin's token and another version's token", async () => {
    const other = await issue('acme.other', '1.0.0');
    await expectRefused(
      await read(other, 'acme.reader', '1.0.0', 'db-password'),
      'acme.reader',
      'db-password',
      /another plugin version/,
    );
    const v110 = await issue('acme.reader', '1.1.0');
    await expectRefused(
      await read(v110, 'acme.reader', '1.0.0', 'db-password'),
      'acme.reader',
      'db-password',
      /another plugin version/,
    );
  });

  it('refuses a token replayed after it expired', async () => {
    const token = await issue('acme.reader', '1.0.0');
    const { exp } = decodeJwt(token);
    const reply = await h.app
      .get(SecretReadService)
      .read({ token, plugin_id: 'acme.reader', version: '1.0.0', secret_id: 'db-password' }, exp);
    await expectRefused(reply, 'acme.reader', 'db-password', /expired/);
  });

  it('refuses a token whose scope was changed without the broker signing it', async () => {
    const token = await issue('acme.other', '1.0.0');
    const [header, , signature] = token.split('.');
    const claims = { ...decodeJwt(token), sec: ['other-secret', 'db-password'] };
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    await expectRefused(
      await read(forged, 'acme.other', '1.0.0', 'db-password'),
      'acme.other',
      'db-password',
      /signature is invalid/,
    );
  });

  it('refuses a token with a changed signature', async () => {
    const token = await issue('acme.reader', '1.0.0');
    const flipped = token.slice(0, -2) + (token.at(-2) === 'A' ? 'B' : 'A') + token.at(-1);
    await expectRefused(
      await read(flipped, 'acme.reader', '1.0.0', 'db-password'),
      'acme.reader',
      'db-password',
      /signature is invalid|malformed/,
    );
  });

  it('refuses unsigned, HMAC and foreign-key tokens', async () => {
    const claims = { ver: '1.0.0', mod: SHA, sec: ['db-password'] };
    const base = (alg: string) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg })
        .setSubject('acme.reader')
        .setAudience(SECRET_TOKEN_AUDIENCE)
        .setIssuer(SECRET_TOKEN_ISSUER)
        .setIssuedAt()
        .setExpirationTime('1m')
        .setJti('f'.repeat(8));
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, sub: 'acme.reader', aud: SECRET_TOKEN_AUDIENCE, iss: SECRET_TOKEN_ISSUER, exp: 4e9, iat: 1, jti: 'x' })).toString('base64url')}.`;
    await expectRefused(
      await read(unsigned, 'acme.reader', '1.0.0', 'db-password'),
      'acme.reader',
      'db-password',
      /algorithm is not EdDSA|malformed/,
    );
    const publicDer = brokerKey.export({ format: 'der', type: 'pkcs8' });
    const hmac = await base('HS256').sign(new Uint8Array(publicDer));
    await expectRefused(
      await read(hmac, 'acme.reader', '1.0.0', 'db-password'),
      'acme.reader',
      'db-password',
      /algorithm is not EdDSA/,
    );
    const foreign = await base('EdDSA').sign(generateKeyPairSync('ed25519').privateKey);
    await expectRefused(
      await read(foreign, 'acme.reader', '1.0.0', 'db-password'),
      'acme.reader',
      'db-password',
      /signature is invalid/,
    );
  });

  it('refuses a token signed for another audience', async () => {
    const token = await new SignJWT({ ver: '1.0.0', mod: SHA, sec: ['db-password'] })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setSubject('acme.reader')
      .setAudience('convergio:something-else')
      .setIssuer(SECRET_TOKEN_ISSUER)
      .setIssuedAt()
      .setExpirationTime('1m')
      .setJti('a-jti')
      .sign(brokerKey);
    await expectRefused(
      await read(token, 'acme.reader', '1.0.0', 'db-password'),
      'acme.reader',
      'db-password',
      /not issued for this use \(aud\)/,
    );
  });

  it('refuses a malformed secret id without reading any store', async () => {
    const token = await issue('acme.reader', '1.0.0');
    await expectRefused(
      await read(token, 'acme.reader', '1.0.0', '../db-password'),
      'acme.reader',
      '../db-password',
      /malformed/,
    );
  });

  it('issues no token to a version granted no secret, unknown, or with another module', async () => {
    await expect(issue('acme.plain', '1.0.0')).rejects.toMatchObject({ code: 'invalid_state' });
    await expect(issue('acme.unknown', '1.0.0')).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      h.bus.request(RequestSubjects.SecretsTokenIssue, {
        plugin_id: 'acme.reader',
        version: '1.0.0',
        module_sha256: 'b'.repeat(64),
      }),
    ).rejects.toMatchObject({ code: 'conflict' });
  });

  it('refuses the tokens of a revoked version, and issues it no more', async () => {
    await approve('acme.revoked', '1.0.0', { 'secrets.read': { ids: ['db-password'] } });
    const token = await issue('acme.revoked', '1.0.0');
    expect(await read(token, 'acme.revoked', '1.0.0', 'db-password')).toEqual({ value: VALUE });
    await delivered(EventSubjects.PluginRevoked, {
      plugin_id: 'acme.revoked',
      version: '1.0.0',
      revoked_by: 'admin',
    });
    await expectRefused(
      await read(token, 'acme.revoked', '1.0.0', 'db-password'),
      'acme.revoked',
      'db-password',
      /no longer approved/,
    );
    await expect(issue('acme.revoked', '1.0.0')).rejects.toMatchObject({ code: 'invalid_state' });
    // A late or redelivered approval does not undo the revocation.
    await approve('acme.revoked', '1.0.0', { 'secrets.read': { ids: ['db-password'] } });
    await expect(issue('acme.revoked', '1.0.0')).rejects.toMatchObject({ code: 'invalid_state' });
  });

  it('revokes with a revoked signer every version it signed', async () => {
    await approve('acme.signed', '1.0.0', { 'secrets.read': { ids: ['db-password'] } });
    const token = await issue('acme.signed', '1.0.0');
    await delivered(EventSubjects.SignerRevoked, {
      signer_id: 'acme-signer',
      revoked_by: 'admin',
      versions: [{ plugin_id: 'acme.signed', version: '1.0.0' }],
    });
    await expectRefused(
      await read(token, 'acme.signed', '1.0.0', 'db-password'),
      'acme.signed',
      'db-password',
      /no longer approved/,
    );
  });

  it('never puts a value in an event', () => {
    const seen = JSON.stringify(h.events);
    for (const value of [VALUE, OTHER_VALUE, '4111111111111234']) expect(seen).not.toContain(value);
  });
});
