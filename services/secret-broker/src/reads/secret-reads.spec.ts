import { decodeJwt, decodeProtectedHeader } from 'jose';
import { EventSubjects, RequestSubjects } from '@convergio/contracts';
import {
  CARD,
  OTHER_VALUE,
  SHA,
  startBrokerUnderTest,
  VALUE,
  type BrokerUnderTest,
} from '../broker.spec-helper.js';
import { SECRET_TOKEN_AUDIENCE, SECRET_TOKEN_ISSUER } from '../tokens/secret-token.js';
import { SecretReadService } from './secret-read.service.js';
import { messageContext } from '@convergio/messaging';

describe('secret broker: tokens and reads', () => {
  let b: BrokerUnderTest;
  beforeAll(async () => {
    b = await startBrokerUnderTest();
  });
  afterAll(() => b?.h.close());

  it('signs an EdDSA token scoped to the version, its module and its granted ids', async () => {
    const token = await b.issue('acme.reader', '1.0.0');
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
    expect(decodeJwt(await b.issue('acme.reader', '1.0.0')).jti).not.toBe(claims.jti);
  });

  it('releases a granted secret and records secret.accessed without the value', async () => {
    const token = await b.issue('acme.reader', '1.0.0');
    expect(await b.read(token, 'acme.reader', '1.0.0', 'db-password')).toEqual({ value: VALUE });
    const accessed = await b.h.waitFor(
      EventSubjects.SecretAccessed,
      (e) => e.data.plugin_id === 'acme.reader',
    );
    expect(accessed.data).toEqual({
      plugin_id: 'acme.reader',
      version: '1.0.0',
      secret_id: 'db-password',
    });
    expect(JSON.stringify(b.h.events)).not.toContain(VALUE);
  });

  it('releases only the brokered form an operator configured', async () => {
    const token = await b.issue('acme.reader', '1.0.0');
    expect(await b.read(token, 'acme.reader', '1.0.0', 'card-number')).toEqual({ value: '1234' });
  });

  // Azure Key Vault names ignore case: "CARD-NUMBER" is the vault's card-number. A grant spelling
  // the id in another case used to get the whole value past a form configured for card-number.
  it.each(['CARD-NUMBER', 'Card-Number'])(
    'releases only the brokered form to the id spelled %s',
    async (spelled) => {
      await b.h.bus.request(RequestSubjects.SecretsPut, { id: spelled, value: CARD, actor: 'k' });
      await b.approve('acme.caps', '1.0.0', { 'secrets.read': { ids: [spelled] } });
      const token = await b.issue('acme.caps', '1.0.0');
      expect(await b.read(token, 'acme.caps', '1.0.0', spelled)).toEqual({ value: '1234' });
      await b.h.bus.request(RequestSubjects.SecretsDelete, { id: spelled, actor: 'k' });
    },
  );

  it('keeps values encrypted at rest, bound to their id', async () => {
    const rows = await b.h.dataSource.query<{ id: string; ciphertext: string }[]>(
      `SELECT id, ciphertext FROM secret_broker.embedded_secrets`,
    );
    expect(JSON.stringify(rows)).not.toContain(VALUE);
    expect(Buffer.from(JSON.stringify(rows)).toString('base64')).not.toContain(
      Buffer.from(VALUE).toString('base64'),
    );
    // A row copied under another id does not decrypt: the read fails, nothing is released.
    await b.h.dataSource.query(
      `UPDATE secret_broker.embedded_secrets SET nonce = s.nonce, ciphertext = s.ciphertext
       FROM secret_broker.embedded_secrets s WHERE s.id = 'db-password' AND secret_broker.embedded_secrets.id = 'other-secret'`,
    );
    const token = await b.issue('acme.other', '1.0.0');
    expect(await b.read(token, 'acme.other', '1.0.0', 'other-secret')).toEqual({
      error: { code: 'io_error', message: expect.any(String) },
    });
    await b.h.bus.request(RequestSubjects.SecretsPut, {
      id: 'other-secret',
      value: OTHER_VALUE,
      actor: 'k',
    });
    expect(await b.read(token, 'acme.other', '1.0.0', 'other-secret')).toEqual({
      value: OTHER_VALUE,
    });
  });

  it('refuses a secret outside the token scope', async () => {
    const token = await b.issue('acme.reader', '1.1.0');
    await b.expectRefused(
      await b.read(token, 'acme.reader', '1.1.0', 'card-number'),
      'acme.reader',
      'card-number',
      /not in the token's scope/,
    );
  });

  it("refuses another plugin's token and another version's token", async () => {
    const other = await b.issue('acme.other', '1.0.0');
    await b.expectRefused(
      await b.read(other, 'acme.reader', '1.0.0', 'db-password'),
      'acme.reader',
      'db-password',
      /another plugin version/,
    );
    const v110 = await b.issue('acme.reader', '1.1.0');
    await b.expectRefused(
      await b.read(v110, 'acme.reader', '1.0.0', 'db-password'),
      'acme.reader',
      'db-password',
      /another plugin version/,
    );
  });

  it('refuses a token replayed after it expired', async () => {
    const token = await b.issue('acme.reader', '1.0.0');
    const { exp } = decodeJwt(token);
    const reply = await b.h.app
      .get(SecretReadService)
      .read(
        { token, plugin_id: 'acme.reader', version: '1.0.0', secret_id: 'db-password' },
        messageContext(undefined),
        exp,
      );
    await b.expectRefused(reply, 'acme.reader', 'db-password', /expired/);
  });

  it('refuses a malformed secret id without reading any store', async () => {
    const token = await b.issue('acme.reader', '1.0.0');
    await b.expectRefused(
      await b.read(token, 'acme.reader', '1.0.0', '../db-password'),
      'acme.reader',
      '../db-password',
      /malformed/,
    );
  });

  it('issues no token to a version granted no secret, unknown, or with another module', async () => {
    await expect(b.issue('acme.plain', '1.0.0')).rejects.toMatchObject({ code: 'invalid_state' });
    await expect(b.issue('acme.unknown', '1.0.0')).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      b.h.bus.request(RequestSubjects.SecretsTokenIssue, {
        plugin_id: 'acme.reader',
        version: '1.0.0',
        module_sha256: 'b'.repeat(64),
      }),
    ).rejects.toMatchObject({ code: 'conflict' });
  });

  it('refuses the tokens of a revoked version, and issues it no more', async () => {
    await b.approve('acme.revoked', '1.0.0', { 'secrets.read': { ids: ['db-password'] } });
    const token = await b.issue('acme.revoked', '1.0.0');
    expect(await b.read(token, 'acme.revoked', '1.0.0', 'db-password')).toEqual({ value: VALUE });
    await b.delivered(EventSubjects.PluginRevoked, {
      plugin_id: 'acme.revoked',
      version: '1.0.0',
      revoked_by: 'admin',
    });
    await b.expectRefused(
      await b.read(token, 'acme.revoked', '1.0.0', 'db-password'),
      'acme.revoked',
      'db-password',
      /no longer approved/,
    );
    await expect(b.issue('acme.revoked', '1.0.0')).rejects.toMatchObject({ code: 'invalid_state' });
    // A late or redelivered approval does not undo the revocation.
    await b.approve('acme.revoked', '1.0.0', { 'secrets.read': { ids: ['db-password'] } });
    await expect(b.issue('acme.revoked', '1.0.0')).rejects.toMatchObject({ code: 'invalid_state' });
  });

  it('revokes with a revoked signer every version it signed', async () => {
    await b.approve('acme.signed', '1.0.0', { 'secrets.read': { ids: ['db-password'] } });
    const token = await b.issue('acme.signed', '1.0.0');
    await b.delivered(EventSubjects.SignerRevoked, {
      signer_id: 'acme-signer',
      revoked_by: 'admin',
      versions: [{ plugin_id: 'acme.signed', version: '1.0.0' }],
    });
    await b.expectRefused(
      await b.read(token, 'acme.signed', '1.0.0', 'db-password'),
      'acme.signed',
      'db-password',
      /no longer approved/,
    );
  });

  it('never puts a value in an event', () => {
    const seen = JSON.stringify(b.h.events);
    for (const value of [VALUE, OTHER_VALUE, CARD]) expect(seen).not.toContain(value);
  });
});
