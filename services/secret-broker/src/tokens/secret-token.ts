import { errors, jwtVerify, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import type { SigningKey } from './signing-key.repository.js';

/** Who a token is for: the broker's `secrets.read`, nothing else accepts it. */
export const SECRET_TOKEN_AUDIENCE = 'convergio:secrets.read';
/** Who signs tokens. */
export const SECRET_TOKEN_ISSUER = 'convergio:secret-broker';
/** The only algorithm a token may use (RFC 8037 Ed25519); `none` and HMAC are never accepted. */
const ALGORITHM = 'EdDSA';

/** What a secret token grants: one plugin version, with one module, these secret ids. */
export interface SecretTokenScope {
  pluginId: string;
  version: string;
  moduleSha256: string;
  secretIds: readonly string[];
}

/** A verified token's scope and unique id. */
export interface VerifiedSecretToken extends SecretTokenScope {
  jti: string;
}

/**
 * Signs a token (RFC 7519 JWT in an RFC 7515 compact JWS, EdDSA) for `scope`, valid `ttlS`
 * seconds from `nowS` (epoch seconds). Claims: sub (plugin id), ver, mod (module SHA-256), sec
 * (secret ids), aud, iss, iat, exp, jti.
 */
export function signSecretToken(
  key: SigningKey,
  scope: SecretTokenScope,
  ttlS: number,
  nowS: number,
): Promise<string> {
  return new SignJWT({ ver: scope.version, mod: scope.moduleSha256, sec: [...scope.secretIds] })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(scope.pluginId)
    .setAudience(SECRET_TOKEN_AUDIENCE)
    .setIssuer(SECRET_TOKEN_ISSUER)
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + ttlS)
    .setJti(randomUUID())
    .sign(key.privateKey);
}

/**
 * Verifies signature (EdDSA only), issuer, audience and expiry (no clock tolerance) at `nowS`;
 * returns the scope, or why the token is refused (a reason a plugin may read: never the token).
 */
export async function verifySecretToken(
  key: SigningKey,
  token: string,
  nowS: number,
): Promise<{ ok: true; token: VerifiedSecretToken } | { ok: false; reason: string }> {
  try {
    const { payload } = await jwtVerify(token, key.publicKey, {
      algorithms: [ALGORITHM],
      audience: SECRET_TOKEN_AUDIENCE,
      issuer: SECRET_TOKEN_ISSUER,
      currentDate: new Date(nowS * 1000),
      requiredClaims: ['sub', 'exp', 'jti', 'iat'],
    });
    const { sub, ver, mod, sec, jti } = payload;
    if (
      typeof sub !== 'string' ||
      typeof ver !== 'string' ||
      typeof mod !== 'string' ||
      typeof jti !== 'string' ||
      !Array.isArray(sec) ||
      !sec.every((id) => typeof id === 'string')
    )
      return { ok: false, reason: 'the secret token has malformed claims' };
    return {
      ok: true,
      token: { pluginId: sub, version: ver, moduleSha256: mod, secretIds: sec, jti },
    };
  } catch (error) {
    return { ok: false, reason: refusalOf(error) };
  }
}

function refusalOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the secret token has expired';
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return 'the secret token signature is invalid';
  if (error instanceof errors.JWTClaimValidationFailed)
    return `the secret token was not issued for this use (${error.claim})`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the secret token algorithm is not EdDSA';
  return 'the secret token is malformed';
}
