import { api, bearer, issuerOf, uniquePublisher } from './fixtures.js';

/** A key as the gateway issues it: its id (the `actor` of what it does) and its secret. */
export interface IssuedKey {
  id: string;
  key: string;
}

/**
 * Creates a key with `roles` (and a publisher of its own when one of them is publisher), as the
 * admin key `by` (unless given, the one {@link issuerOf} names).
 */
export async function issueKey(
  roles: string[],
  publisher?: string,
  by?: string,
): Promise<IssuedKey> {
  const res = await api()
    .post('/v1/api-keys')
    .set(bearer(by ?? (await issuerOf(roles))))
    .send({
      name: `e2e ${roles.join('+')}`,
      roles,
      ...(roles.includes('publisher') && { publisher: publisher ?? uniquePublisher() }),
    })
    .expect(201);
  return res.body as IssuedKey;
}

/** Audit events matching `query`, in recorded order (auditor or admin key). */
export async function auditEvents(key: string, query: Record<string, string>) {
  const res = await api()
    .get('/v1/audit')
    .query({ limit: 500, ...query })
    .set(bearer(key))
    .expect(200);
  return res.body.events as { type: string; data: Record<string, unknown> }[];
}

/** The names of every API key, all pages of `GET /v1/api-keys` (an admin key). */
export async function allKeyNames(key: string): Promise<string[]> {
  const names: string[] = [];
  for (let cursor: string | null = ''; cursor !== null;) {
    const page = await api()
      .get('/v1/api-keys')
      .query({ limit: 500, ...(cursor && { cursor }) })
      .set(bearer(key))
      .expect(200);
    const body = page.body as { keys: { name: string }[]; next_cursor: string | null };
    names.push(...body.keys.map((k) => k.name));
    cursor = body.next_cursor;
  }
  return names;
}
