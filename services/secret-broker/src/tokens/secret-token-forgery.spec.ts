import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { SHA, startBrokerUnderTest, type BrokerUnderTest } from '../broker.spec-helper.js';
import { SECRET_TOKEN_AUDIENCE, SECRET_TOKEN_ISSUER } from './secret-token.js';

describe('secret broker: forged and foreign tokens', () => {
  let b: BrokerUnderTest;
  beforeAll(async () => {
    b = await startBrokerUnderTest();
  });
  afterAll(() => b?.h.close());

  it('refuses a token whose scope was changed without the broker signing it', async () => {
    const token = await b.issue('acme.other', '1.0.0');
    const [header, , signature] = token.split('.');
    const claims = { ...decodeJwt(token), sec: ['other-secret', 'db-password'] };
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    await b.expectRefused(
      await b.read(forged, 'acme.other', '1.0.0', 'db-password'),
      'acme.other',
      'db-password',
      /signature is invalid/,
    );
  });

  it('refuses a token with a changed signature', async () => {
    const token = await b.issue('acme.reader', '1.0.0');
    const flipped = token.slice(0, -2) + (token.at(-2) === 'A' ? 'B' : 'A') + token.at(-1);
    await b.expectRefused(
      await b.read(flipped, 'acme.reader', '1.0.0', 'db-password'),
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
    await b.expectRefused(
      await b.read(unsigned, 'acme.reader', '1.0.0', 'db-password'),
      'acme.reader',
      'db-password',
      /algorithm is not EdDSA|malformed/,
    );
    const publicDer = b.brokerKey.export({ format: 'der', type: 'pkcs8' });
    const hmac = await base('HS256').sign(new Uint8Array(publicDer));
    await b.expectRefused(
      await b.read(hmac, 'acme.reader', '1.0.0', 'db-password'),
      'acme.reader',
      'db-password',
      /algorithm is not EdDSA/,
    );
    const foreign = await base('EdDSA').sign(generateKeyPairSync('ed25519').privateKey);
    await b.expectRefused(
      await b.read(foreign, 'acme.reader', '1.0.0', 'db-password'),
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
      .sign(b.brokerKey);
    await b.expectRefused(
      await b.read(token, 'acme.reader', '1.0.0', 'db-password'),
      'acme.reader',
      'db-password',
      /not issued for this use \(aud\)/,
    );
  });
});
