-- Run once, when the postgres-data volume is created: Conductor's database. Temporal's two
-- databases are created by the temporal-schema service (deploy/temporal/setup-schema.sh).
CREATE DATABASE conductor;
