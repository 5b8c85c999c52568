import type { DataSource } from 'typeorm';

/**
 * The API key ids that separation of duties counts as the same admin as `keyId` (ADR 0015): its
 * issuance lineage, that is every key up its issuer chain and every key issued below any of
 * those, through any number of keys and over every secret each key ever had (a rotation by
 * another key makes that key an issuer too; retired secrets keep their issuer). Whoever issued a
 * key could hold its secret, so a person with one key of a lineage may hold them all. A
 * bootstrap key (issued by `gateway`, the platform itself, or before issuers were kept) is the
 * operator's key officer: never part of a lineage, so each admin it issued heads a lineage of
 * their own, and its own approvals keep the one-hop issuer rule. `keyId` itself is left out.
 * @returns key ids (uuid strings), in no particular order; empty for a bootstrap key
 */
export async function issuanceKin(dataSource: DataSource, keyId: string): Promise<string[]> {
  const rows: { id: string }[] = await dataSource.query(
    `WITH RECURSIVE
       issuance AS (
         SELECT id::text AS id, issued_by FROM gateway.api_keys
         UNION
         SELECT key_id::text, issued_by FROM gateway.retired_key_hashes
       ),
       bootstrap AS (
         SELECT id FROM issuance WHERE issued_by IS NULL OR issued_by = 'gateway'
       ),
       edges AS (
         SELECT id, issued_by FROM issuance
          WHERE issued_by <> id
            AND issued_by IN (SELECT id FROM issuance)
            AND issued_by NOT IN (SELECT id FROM bootstrap)
            AND id NOT IN (SELECT id FROM bootstrap)
       ),
       up(id) AS (
         SELECT $1::text WHERE $1::text NOT IN (SELECT id FROM bootstrap)
         UNION
         SELECT e.issued_by FROM edges e JOIN up ON e.id = up.id
       ),
       lineage(id) AS (
         SELECT id FROM up
         UNION
         SELECT e.id FROM edges e JOIN lineage l ON e.issued_by = l.id
       )
     SELECT id FROM lineage WHERE id <> $1::text`,
    [keyId],
  );
  return rows.map((r) => r.id);
}
