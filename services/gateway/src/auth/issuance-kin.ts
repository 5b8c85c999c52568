import type { DataSource } from 'typeorm';

/** API key ids related to one key by issuance (`issuanceKin`). */
export interface IssuanceKin {
  /** The keys that issued its current secret, up the chain. */
  issuers: string[];
  /** Every key whose current secret it issued, down the chain. */
  issued: string[];
}

/**
 * The API keys related to `keyId` by issuance, whose holders separation of duties counts as the
 * same person (ADR 0015), through any number of keys. A bootstrap key (issued by `gateway`, the
 * platform itself) is the operator's key officer: it is neither followed up nor down, so an admin
 * it issued is a party of their own, and its own approvals keep the one-hop issuer rule.
 */
export async function issuanceKin(dataSource: DataSource, keyId: string): Promise<IssuanceKin> {
  const rows: { id: string; side: 'issuers' | 'issued' }[] = await dataSource.query(
    `WITH RECURSIVE
       keys AS (SELECT id::text AS id, issued_by FROM gateway.api_keys),
       bootstrap AS (SELECT id FROM keys WHERE issued_by IS NULL OR issued_by = 'gateway'),
       up(id) AS (
         SELECT issued_by FROM keys WHERE id = $1::text
         UNION
         SELECT k.issued_by FROM keys k JOIN up ON k.id = up.id
       ),
       down(id) AS (
         SELECT id FROM keys
          WHERE issued_by = $1::text AND $1::text NOT IN (SELECT id FROM bootstrap)
         UNION
         SELECT k.id FROM keys k JOIN down ON k.issued_by = down.id
       )
     SELECT id, 'issuers' AS side FROM up WHERE id IS NOT NULL AND id <> $1::text
        AND id NOT IN (SELECT id FROM bootstrap)
        AND id IN (SELECT id FROM keys)
     UNION
     SELECT id, 'issued' AS side FROM down WHERE id <> $1::text`,
    [keyId],
  );
  return {
    issuers: rows.filter((r) => r.side === 'issuers').map((r) => r.id),
    issued: rows.filter((r) => r.side === 'issued').map((r) => r.id),
  };
}
