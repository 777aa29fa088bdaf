#!/bin/sh
# Temporal's schema in Postgres, run by the temporalio/admin-tools image (docker-compose.yml,
# service temporal-schema) before the server starts. Safe to run on every start: an existing
# database and schema are kept and only migrated to the versions this image knows.
set -eu
schema_dir=/etc/temporal/schema/postgresql/v12
tool() {
  temporal-sql-tool --plugin "$SQL_PLUGIN" --ep "$SQL_HOST" -p "$SQL_PORT" -u "$SQL_USER" --pw "$SQL_PASSWORD" "$@"
}
for pair in temporal:temporal temporal_visibility:visibility; do
  db=${pair%%:*}
  dir=${pair#*:}
  tool --db "$db" create-database 2>/dev/null || echo "database $db exists"
  # setup-schema -v 0.0 creates the version table on an empty database; on a set-up one it fails harmlessly
  tool --db "$db" setup-schema -v 0.0 2>/dev/null || echo "schema of $db already set up"
  tool --db "$db" update-schema -d "$schema_dir/$dir/versioned"
done
echo "Temporal schema ready"
