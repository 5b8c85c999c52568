import type { DataSource } from 'typeorm';

/**
 * The API key ids that separation of duties counts as the same admin as `keyId` (ADR 0015): its
 * issuance lineage, that is every key up its issuer chain and every key issued below any of
 * those, through any number of keys and over every secret each key ever had (a rotation by
 * another key makes that key an issuer too; retired secrets keep their issuer). Whoever issued a
 * key could hold its secret, so a person with one key of a lineage may hold them all. A
 * bootstrap key (issued by `gateway`, the platform itself) is the operator's key officer: never
 * part of a lineage, so each admin it issued heads a lineage of its own, and its own approvals
 * keep the one-hop issuer rule. A key whose issuer is unknown (issued before issuers were kept)
 * heads a lineage too. Walks the `key_issuance` view through its indexes, one key at a time.
 * @param keyId an API key id (uuid)
 * @returns key ids (uuid strings), `keyId` left out, in no particular order; empty for a bootstrap key
 */
export async function issuanceKin(dataSource: DataSource, keyId: string): Promise<string[]> {
  const rows: { id: string }[] = await dataSource.query(
    `WITH RECURSIVE
       up(id) AS (
         SELECT $1::uuid WHERE NOT ${isBootstrap('$1::uuid')}
         UNION
         SELECT i.issuer FROM gateway.key_issuance i JOIN up ON i.key_id = up.id
          WHERE i.issuer IS NOT NULL AND NOT ${isBootstrap('i.issuer')}
       ),
       lineage(id) AS (
         SELECT id FROM up
         UNION
         SELECT i.key_id FROM gateway.key_issuance i JOIN lineage l ON i.issued_by = l.id::text
          WHERE NOT ${isBootstrap('i.key_id')}
       )
     SELECT id::text AS id FROM lineage WHERE id <> $1::uuid`,
    [keyId],
  );
  return rows.map((r) => r.id);
}

/** Whether the key `id` (an SQL uuid expression) is a bootstrap key: the platform issued it. */
function isBootstrap(id: string): string {
  return `EXISTS (SELECT 1 FROM gateway.key_issuance b WHERE b.key_id = ${id} AND b.issued_by = 'gateway')`;
}
