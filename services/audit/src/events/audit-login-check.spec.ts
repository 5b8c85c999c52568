import { ConfigError } from '@convergio/config';
import type { DataSource } from 'typeorm';
import { AuditLoginCheck } from './audit-login-check.js';

/** A database that answers the check's one query with `powers` for the current login. */
const loginWith = (powers: Partial<Record<string, boolean>>) =>
  ({
    query: () =>
      Promise.resolve([
        { superuser: false, createrole: false, table_owner: false, schema_owner: false, ...powers },
      ]),
  }) as unknown as DataSource;

describe('AuditLoginCheck', () => {
  it('refuses a login that owns the log with a ConfigError naming DATABASE_URL and the remedy, not a stack trace', async () => {
    const check = new AuditLoginCheck(loginWith({ table_owner: true, schema_owner: true }), {
      allowOwnerLogin: false,
    });
    const refusal = await check.onModuleInit().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(ConfigError);
    expect((refusal as ConfigError).issues).toEqual([
      {
        variable: 'DATABASE_URL',
        expected:
          'a login that is only a member of convergio_audit_writer (deploy/postgres/logins.sql), the schema migrated as its owner in a deploy step (node services/audit/dist/migrate.js); AUDIT_ALLOW_OWNER_LOGIN=true allows it in development',
        received: 'a login that can change the audit log: table owner, schema owner',
      },
    ]);
  });

  it('lets a writer-only login start', async () => {
    await expect(
      new AuditLoginCheck(loginWith({}), { allowOwnerLogin: false }).onModuleInit(),
    ).resolves.toBeUndefined();
  });
});
