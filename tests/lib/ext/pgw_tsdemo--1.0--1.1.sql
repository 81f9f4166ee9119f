-- pgw_tsdemo 1.1: only a version step, for the version-mismatch test.
\echo Use "ALTER EXTENSION pgw_tsdemo UPDATE" to load this file. \quit
COMMENT ON FUNCTION pgw_tsdemo_create_hypertable(regclass) IS 'since 1.1';
