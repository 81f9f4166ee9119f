-- pgw_tsdemo 1.0: a catalog of "hypertables" whose rows pg_dump saves
-- (pg_extension_config_dump), and a guard that refuses those rows unless
-- the extension itself writes them or pgw_tsdemo_pre_restore() was called,
-- as TimescaleDB refuses a restore without timescaledb_pre_restore().
\echo Use "CREATE EXTENSION pgw_tsdemo" to load this file. \quit

CREATE TABLE pgw_tsdemo_catalog (
	table_name text PRIMARY KEY,
	chunk_rows bigint NOT NULL DEFAULT 0
);
SELECT pg_catalog.pg_extension_config_dump('pgw_tsdemo_catalog', '');

CREATE FUNCTION pgw_tsdemo_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF coalesce(current_setting('pgw_tsdemo.internal', true), '') <> 'on'
	   AND coalesce(current_setting('pgw_tsdemo.restoring', true), '') <> 'on' THEN
		RAISE EXCEPTION 'pgw_tsdemo: catalog row for % refused: call pgw_tsdemo_pre_restore() before restoring', NEW.table_name;
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER pgw_tsdemo_guard BEFORE INSERT ON pgw_tsdemo_catalog
	FOR EACH ROW EXECUTE FUNCTION pgw_tsdemo_guard();

-- the normal way in: register a table (as create_hypertable does)
CREATE FUNCTION pgw_tsdemo_create_hypertable(t regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM set_config('pgw_tsdemo.internal', 'on', true);
	INSERT INTO pgw_tsdemo_catalog VALUES (t::text, 0);
	PERFORM set_config('pgw_tsdemo.internal', '', true);
END $$;

-- as timescaledb_pre_restore(): for this session and every new one
CREATE FUNCTION pgw_tsdemo_pre_restore() RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('ALTER DATABASE %I SET pgw_tsdemo.restoring = on', current_database());
	PERFORM set_config('pgw_tsdemo.restoring', 'on', false);
	RETURN true;
END $$;

CREATE FUNCTION pgw_tsdemo_post_restore() RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('ALTER DATABASE %I RESET pgw_tsdemo.restoring', current_database());
	PERFORM set_config('pgw_tsdemo.restoring', '', false);
	RETURN true;
END $$;
