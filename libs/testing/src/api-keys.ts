import { randomBytes } from 'node:crypto';

const issuers = new Map<string, Promise<string>>();

/**
 * An admin key, made once per gateway and admin key, that issues the keys tests create.
 * Separation of duties counts whoever issued a secret as the submitter of what it submits
 * (ADR 0015), so keys issued by `adminKey` itself would leave `adminKey` unable to approve.
 */
export function keyIssuer(gatewayUrl: string, adminKey: string): Promise<string> {
  const at = `${gatewayUrl} ${adminKey}`;
  let issuer = issuers.get(at);
  if (!issuer) {
    issuer = postKey(gatewayUrl, adminKey, { name: 'test key issuer', roles: ['admin'] });
    issuer.catch(() => issuers.delete(at));
    issuers.set(at, issuer);
  }
  return issuer;
}

/**
 * Creates a publisher key through the gateway, as an admin would, and returns the key. The
 * publisher (a fresh `test-<hex>` unless given) owns the plugin ids the key submits first. The
 * key is issued by {@link keyIssuer}, so `adminKey` may approve what it submits.
 */
export async function createPublisherKey(
  gatewayUrl: string,
  adminKey: string,
  publisher = `test-${randomBytes(4).toString('hex')}`,
): Promise<string> {
  return postKey(gatewayUrl, await keyIssuer(gatewayUrl, adminKey), {
    name: `publisher ${publisher}`,
    roles: ['publisher'],
    publisher,
  });
}

async function postKey(gatewayUrl: string, by: string, body: object): Promise<string> {
  const res = await fetch(`${gatewayUrl}/v1/api-keys`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${by}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201)
    throw new Error(`creating an API key failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}
