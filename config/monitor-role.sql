-- monitor-role.sql - a least-privilege login for pgwarden's monitor.
--
-- Run once as a superuser (or the database owner), connected to the
-- protected database:
--     psql -d app -f config/monitor-role.sql
-- then give the role a password without putting it in argv or history:
--     psql -d app -c '\password pgwarden_monitor'
-- and point the monitor at it (PGUSER=pgwarden_monitor, password_file).
--
-- What the monitor does with each grant (docs/HEALTH.md):
--   CONNECT           the checks connect to the protected database
--   schema pgwarden   owned by the role: the heartbeat table lives there,
--                     created by the monitor at its first check; nothing
--                     is written to the application's schemas
--   USAGE + SELECT    read the migrations table's highest version (only
--                     when a migrations directory is configured)
--   pg_monitor        optional: names the holder of a lock a check waited
--                     on (transaction age); without it the pid and user
--                     are still shown
-- No CREATE on the database or on public is needed. A missing grant is a
-- configuration alert (check-config) naming it, never a recovery.

\set ON_ERROR_STOP on
SELECT 'CREATE ROLE pgwarden_monitor LOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgwarden_monitor')
\gexec
GRANT CONNECT ON DATABASE :"DBNAME" TO pgwarden_monitor;
CREATE SCHEMA IF NOT EXISTS pgwarden AUTHORIZATION pgwarden_monitor;
GRANT pg_monitor TO pgwarden_monitor;
-- the migrations table (config migrations_table), when one is configured:
SELECT format('GRANT USAGE ON SCHEMA %I TO pgwarden_monitor; '
              'GRANT SELECT ON %s TO pgwarden_monitor',
              n.nspname, c.oid::regclass)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = to_regclass('schema_migrations')
\gexec
