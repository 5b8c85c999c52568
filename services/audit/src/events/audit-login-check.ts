import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConfigError } from '@convergio/config';
import { AUDIT_SCHEMA } from '../audit.schema.js';

/** What the distributed audit service does when its login could change its own log. */
export interface AuditLoginPolicy {
  /** Start anyway, with a warning (development only: AUDIT_ALLOW_OWNER_LOGIN). */
  allowOwnerLogin: boolean;
}

export const AUDIT_LOGIN_POLICY = Symbol('AUDIT_LOGIN_POLICY');

/**
 * Why the current login could change or remove audit records whatever the audit role's grants
 * (an empty list when it cannot): a superuser, a member of the table's or the schema's owner
 * (it may disable the triggers, drop the table or `RESET ROLE` to the owner), or a CREATEROLE
 * login (before PostgreSQL 16 it may grant itself the owner's role).
 */
async function ownerPowers(dataSource: DataSource): Promise<string[]> {
  const [row]: Record<string, boolean>[] = await dataSource.query(
    `SELECT r.rolsuper AS superuser, r.rolcreaterole AS createrole,
            pg_has_role(current_user, c.relowner, 'MEMBER') AS table_owner,
            pg_has_role(current_user, n.nspowner, 'MEMBER') AS schema_owner
       FROM pg_roles r, pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE r.rolname = current_user AND c.oid = '${AUDIT_SCHEMA}.events'::regclass`,
  );
  return Object.entries(row)
    .filter(([, has]) => has)
    .map(([power]) => power.replace('_', ' '));
}

/**
 * Refuses to start the distributed audit service on a login that could rewrite the log (its
 * append-only rule would then hold only as long as the service behaves): the operator gives it
 * a login that is a member of the audit writer role only, and migrates the schema as its owner
 * in a deploy step (AUDIT_MIGRATION_STEP; deploy/postgres/logins.sql).
 */
@Injectable()
export class AuditLoginCheck implements OnModuleInit {
  private readonly log = new Logger('Audit');

  constructor(
    private readonly dataSource: DataSource,
    @Inject(AUDIT_LOGIN_POLICY) private readonly policy: AuditLoginPolicy,
  ) {}

  /**
   * @throws ConfigError naming DATABASE_URL when the login could change the log and
   * AUDIT_ALLOW_OWNER_LOGIN is off: the service prints it on one line and exits, no stack trace
   */
  async onModuleInit(): Promise<void> {
    const powers = await ownerPowers(this.dataSource);
    if (powers.length === 0) return;
    const remedy =
      'a login that is only a member of convergio_audit_writer (deploy/postgres/logins.sql), ' +
      'the schema migrated as its owner in a deploy step (node services/audit/dist/migrate.js)';
    const received = `a login that can change the audit log: ${powers.join(', ')}`;
    if (!this.policy.allowOwnerLogin)
      throw new ConfigError([
        {
          variable: 'DATABASE_URL',
          expected: `${remedy}; AUDIT_ALLOW_OWNER_LOGIN=true allows it in development`,
          received,
        },
      ]);
    this.log.warn(
      `AUDIT_ALLOW_OWNER_LOGIN is on: DATABASE_URL is ${received}. Give the service ${remedy}. Never in production.`,
    );
  }
}
