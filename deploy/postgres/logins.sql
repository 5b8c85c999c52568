-- Convergio PostgreSQL logins: the production shape (docs/operator-guide.md, "PostgreSQL in
-- production").
--
-- One login per service, owning only its own schema: no service reads or writes another's
-- tables (the gateway's API key hashes, the secret broker's signing key). The audit service is
-- split in two: convergio_audit_owner owns the audit schema and migrates it in a deploy step
-- (node services/audit/dist/migrate.js); convergio_audit, the login the service works as, is
-- only a member of convergio_audit_writer, which may read and append to the log, never change
-- it: it cannot disable the append-only triggers, drop the table or become its owner, and the
-- audit service refuses to start on a login that could.
--
-- Run it once per database as a superuser, before the services first start, and again after
-- an upgrade (it only creates what is missing):
--   psql -v ON_ERROR_STOP=1 -d convergio -f deploy/postgres/logins.sql
-- then give each login a password (ALTER ROLE convergio_gateway PASSWORD '...') or another
-- authentication method in pg_hba.conf, and put it in that service's DATABASE_URL.
-- services/platform-e2e runs every distributed test with these logins.

DO $$
DECLARE
  login text;
BEGIN
  FOREACH login IN ARRAY ARRAY[
    'convergio_gateway', 'convergio_registry', 'convergio_verification', 'convergio_approval',
    'convergio_executor', 'convergio_secret_broker', 'convergio_audit_owner', 'convergio_audit'
  ] LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = login) THEN
      EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE', login);
    END IF;
  END LOOP;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'convergio_audit_writer') THEN
    CREATE ROLE convergio_audit_writer NOLOGIN;
  END IF;
END $$;

GRANT convergio_audit_writer TO convergio_audit;
-- The audit migrations grant the writer role to the login running them; it holds it already.
GRANT convergio_audit_writer TO convergio_audit_owner;

CREATE SCHEMA IF NOT EXISTS gateway AUTHORIZATION convergio_gateway;
CREATE SCHEMA IF NOT EXISTS registry AUTHORIZATION convergio_registry;
CREATE SCHEMA IF NOT EXISTS verification AUTHORIZATION convergio_verification;
CREATE SCHEMA IF NOT EXISTS approval AUTHORIZATION convergio_approval;
CREATE SCHEMA IF NOT EXISTS executor AUTHORIZATION convergio_executor;
CREATE SCHEMA IF NOT EXISTS secret_broker AUTHORIZATION convergio_secret_broker;
CREATE SCHEMA IF NOT EXISTS audit AUTHORIZATION convergio_audit_owner;

-- The migrations run CREATE SCHEMA IF NOT EXISTS, which PostgreSQL checks against this right
-- even when the schema exists. A schema of its own creation is no way into the others.
DO $$ BEGIN
  EXECUTE format('GRANT CREATE ON DATABASE %I TO convergio_gateway, convergio_registry, '
    'convergio_verification, convergio_approval, convergio_executor, convergio_secret_broker, '
    'convergio_audit_owner', current_database());
END $$;

-- Nobody creates objects in public (the default since PostgreSQL 15; older servers granted it).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
