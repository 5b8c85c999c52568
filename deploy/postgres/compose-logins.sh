#!/bin/sh
# docker-compose.yml's PostgreSQL runs this once, at its first start: the logins of
# deploy/postgres/logins.sql, each with the password POSTGRES_PASSWORD (one host, one
# development password; give each login its own in production).
set -eu
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -f /convergio/logins.sql
for login in gateway registry verification approval executor secret_broker audit_owner audit; do
  # psql quotes the variables (it does not for -c, hence stdin).
  echo "ALTER ROLE :\"login\" PASSWORD :'password';" | psql -v ON_ERROR_STOP=1 \
    -U "$POSTGRES_USER" -d "$POSTGRES_DB" -v login="convergio_$login" -v password="$POSTGRES_PASSWORD"
done
