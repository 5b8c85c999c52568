import type { MigrationInterface, QueryRunner } from 'typeorm';
import { GATEWAY_SCHEMA } from '../gateway.schema.js';

const UUID = `'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'`;

/**
 * Every issuance of a key's secrets, current and rotated out, as one view the lineage query
 * (`issuanceKin`) walks through indexes: `issuer` is the issuing key (null for the platform,
 * `gateway`, or an unknown issuer), `issued_by` the stored text.
 */
export class GatewayKeyIssuance1766800000000 implements MigrationInterface {
  name = 'GatewayKeyIssuance1766800000000';

  async up(q: QueryRunner): Promise<void> {
    const s = GATEWAY_SCHEMA;
    await q.query(`CREATE INDEX api_keys_issued_by_idx ON ${s}.api_keys (issued_by)`);
    await q.query(
      `CREATE INDEX retired_key_hashes_issued_by_idx ON ${s}.retired_key_hashes (issued_by)`,
    );
    await q.query(
      `CREATE VIEW ${s}.key_issuance AS
         SELECT id AS key_id, issued_by,
                CASE WHEN issued_by ~ ${UUID} THEN issued_by::uuid END AS issuer
           FROM ${s}.api_keys
         UNION ALL
         SELECT key_id, issued_by,
                CASE WHEN issued_by ~ ${UUID} THEN issued_by::uuid END AS issuer
           FROM ${s}.retired_key_hashes`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    const s = GATEWAY_SCHEMA;
    await q.query(`DROP VIEW ${s}.key_issuance`);
    await q.query(`DROP INDEX ${s}.retired_key_hashes_issued_by_idx`);
    await q.query(`DROP INDEX ${s}.api_keys_issued_by_idx`);
  }
}
