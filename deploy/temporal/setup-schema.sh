#!/bin/sh
# Create Temporal's two databases in the stack's Postgres and bring their schemas to the
# version of this admin-tools image. Safe to run on every `docker compose up`: an existing
# database is kept and only missing schema versions are applied. The password comes from
# SQL_PASSWORD (compose.yaml).
set -eu
schemas=/etc/temporal/schema/postgresql/v12

sql() {  # sql DATABASE COMMAND [ARGUMENTS...]
    database=$1
    shift
    temporal-sql-tool --plugin postgres12 --ep postgres -p 5432 -u flowport --db "$database" "$@"
}

for pair in temporal:temporal temporal_visibility:visibility; do
    database=${pair%%:*}
    sql "$database" create
    sql "$database" setup-schema -v 0.0
    sql "$database" update-schema -d "$schemas/${pair#*:}/versioned"
done
echo "temporal-schema: databases temporal and temporal_visibility are up to date"
