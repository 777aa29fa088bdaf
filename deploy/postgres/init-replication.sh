#!/bin/bash
# Runs once, when the primary's data directory is created (docker-entrypoint-initdb.d): the
# role the `ha` profile's read replica streams with, and its pg_hba line.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=password="${REPLICATION_PASSWORD:-$POSTGRES_PASSWORD}" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
