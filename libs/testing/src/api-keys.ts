import { randomBytes } from 'node:crypto';

/**
 * Creates a publisher key through the gateway, as an admin would, and returns the key. The
 * publisher (a fresh `test-<hex>` unless given) owns the plugin ids the key submits first.
 */
export async function createPublisherKey(
  gatewayUrl: string,
  adminKey: string,
  publisher = `test-${randomBytes(4).toString('hex')}`,
): Promise<string> {
  const res = await fetch(`${gatewayUrl}/v1/api-keys`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: `publisher ${publisher}`, roles: ['publisher'], publisher }),
  });
  if (res.status !== 201)
    throw new Error(`creating a publisher key failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}
