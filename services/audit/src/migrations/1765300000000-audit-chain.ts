import type { MigrationInterface, QueryRunner } from 'typeorm';
import { AUDIT_SCHEMA, AUDIT_WRITER_ROLE } from '../audit.schema.js';
import { GENESIS_HASH, recordHash } from '../chain/record-hash.js';
import { FIRST_SEQ, readStoredRecords } from '../chain/stored-records.js';

const EVENTS = `${AUDIT_SCHEMA}.events`;
const BACKFILL_PAGE = 1000;

/**
 * Makes the audit log a hash chain and append-only: each record stores the previous record's
 * hash and its own (records already there are chained in seq order); the audit role may only
 * read and insert; triggers refuse UPDATE, DELETE and TRUNCATE to everyone, superusers
 * included, until they are deliberately disabled. Seqs are given by the appender, under the
 * chain's lock, so the column has no sequence any more.
 */
export class AuditChain1765300000000 implements MigrationInterface {
  name = 'AuditChain1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${EVENTS} ADD COLUMN prev_hash text, ADD COLUMN hash text`);
    await chainExistingRecords(q);
    await q.query(`ALTER TABLE ${EVENTS}
      ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL,
      ALTER COLUMN seq DROP DEFAULT`);
    await q.query(`DROP SEQUENCE IF EXISTS ${AUDIT_SCHEMA}.events_seq_seq`);
    await q.query(`CREATE INDEX events_actor_idx ON ${EVENTS} ((data ->> 'actor'), seq)`);
    await q.query(`CREATE INDEX events_occurred_idx ON ${EVENTS} (occurred_at, seq)`);
    // Roles are shared by every database of the server: another database (or a replica racing
    // this one) may have created it already, or an operator did for a login without CREATEROLE.
    await q.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${AUDIT_WRITER_ROLE}') THEN
        CREATE ROLE ${AUDIT_WRITER_ROLE} NOLOGIN;
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`);
    // The service's own login may then SET ROLE to it (a superuser may anyway).
    await q.query(`DO $$ BEGIN
      IF NOT pg_has_role(current_user, '${AUDIT_WRITER_ROLE}', 'MEMBER') THEN
        EXECUTE format('GRANT ${AUDIT_WRITER_ROLE} TO %I', current_user);
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`);
    await q.query(`REVOKE ALL ON ${EVENTS} FROM PUBLIC`);
    await q.query(`GRANT USAGE ON SCHEMA ${AUDIT_SCHEMA} TO ${AUDIT_WRITER_ROLE}`);
    await q.query(`GRANT SELECT, INSERT ON ${EVENTS} TO ${AUDIT_WRITER_ROLE}`);
    await q.query(`CREATE FUNCTION ${AUDIT_SCHEMA}.refuse_audit_change() RETURNS trigger
      LANGUAGE plpgsql AS $$ BEGIN
        RAISE EXCEPTION 'audit.events is append-only: % refused', TG_OP
          USING ERRCODE = 'restrict_violation',
                HINT = 'records are only ever inserted; see the operator guide, audit log';
      END $$`);
    await q.query(`CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON ${EVENTS}
      FOR EACH ROW EXECUTE FUNCTION ${AUDIT_SCHEMA}.refuse_audit_change()`);
    await q.query(`CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON ${EVENTS}
      FOR EACH STATEMENT EXECUTE FUNCTION ${AUDIT_SCHEMA}.refuse_audit_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER events_no_truncate ON ${EVENTS}`);
    await q.query(`DROP TRIGGER events_append_only ON ${EVENTS}`);
    await q.query(`DROP FUNCTION ${AUDIT_SCHEMA}.refuse_audit_change()`);
    await q.query(`REVOKE ALL ON ${EVENTS} FROM ${AUDIT_WRITER_ROLE}`);
    await q.query(`REVOKE ALL ON SCHEMA ${AUDIT_SCHEMA} FROM ${AUDIT_WRITER_ROLE}`);
    await q.query(`DROP INDEX ${AUDIT_SCHEMA}.events_occurred_idx`);
    await q.query(`DROP INDEX ${AUDIT_SCHEMA}.events_actor_idx`);
    await q.query(`CREATE SEQUENCE ${AUDIT_SCHEMA}.events_seq_seq OWNED BY ${EVENTS}.seq`);
    await q.query(`SELECT setval('${AUDIT_SCHEMA}.events_seq_seq', COALESCE(MAX(seq), 0) + 1, false)
      FROM ${EVENTS}`);
    await q.query(`ALTER TABLE ${EVENTS}
      ALTER COLUMN seq SET DEFAULT nextval('${AUDIT_SCHEMA}.events_seq_seq'),
      DROP COLUMN hash, DROP COLUMN prev_hash`);
  }
}

/**
 * Chains the records stored before this migration, in seq order, a page at a time: up to
 * `BACKFILL_PAGE` records, fewer when they are large (`readStoredRecords`).
 */
async function chainExistingRecords(q: QueryRunner): Promise<void> {
  let prev = { seq: FIRST_SEQ, hash: GENESIS_HASH };
  for (;;) {
    const page = await readStoredRecords(q.manager, prev.seq, BACKFILL_PAGE);
    if (page.length === 0) return;
    const hashes: string[] = [];
    const prevHashes: string[] = [];
    for (const record of page) {
      prevHashes.push(prev.hash);
      const hash = recordHash({ ...record, prev_hash: prev.hash });
      hashes.push(hash);
      prev = { seq: String(record.seq), hash };
    }
    await q.query(
      `UPDATE ${EVENTS} e SET prev_hash = v.prev_hash, hash = v.hash
       FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v(seq, prev_hash, hash)
       WHERE e.seq = v.seq`,
      [page.map((r) => String(r.seq)), prevHashes, hashes],
    );
  }
}
