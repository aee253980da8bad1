-- Province federation (docs/FEDERATION.md): the same schema on every node; what a node is lives
-- in `federation_scope`, written by the owner (`diachinh federation init`, or `serve` from its
-- configuration). A standalone database (the default, and every test database) stays as it
-- was: the guards below exist only on nodes that were given a scope.
--   province: writes of land, dossiers, certificates, plans and accounts of another province are
--     refused by triggers; ids come from the province's own range, so the rows of every province
--     can live side by side in the national copy; the register's tables are published.
--   national: subscribes to each province's publication; every local write is refused by
--     triggers (the subscriptions' apply workers run as replicas and are not affected), and the
--     service's login loses its write grants.

CREATE TABLE federation_scope (
    one           boolean PRIMARY KEY DEFAULT true CHECK (one),
    mode          text NOT NULL CHECK (mode IN ('standalone', 'province', 'national')),
    province_code text CHECK (province_code ~ '^[0-9]{2}$'),
    applied_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((mode = 'province') = (province_code IS NOT NULL))
);
INSERT INTO federation_scope (mode) VALUES ('standalone');

-- Every table of the schema, by what federation does with it. A table missing here is neither
-- published nor guarded, and `federation_publish` refuses to run until it is classified (a test
-- checks that none is missing): a migration adding a table adds its row.
--   register:  the province's own records; published by the province, read-only nationally;
--   reference: loaded identically on every node from sample-data/ (or by migrations), never
--              replicated (ids of admin units must agree: `federation_reference_fingerprint`);
--   node:      this server's own business (accounts, sessions, outbox, uploaded files).
CREATE TABLE federation_tables (
    table_name   text PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('register', 'reference', 'node')),
    -- How a province node finds a row's province: its `province_code` column, or a column
    -- naming an administrative unit (whose province_code counts). NULL: the row follows a
    -- parent that is checked (a version's land uses follow the version).
    province_key text CHECK (province_key IS NULL OR kind <> 'reference')
);
INSERT INTO federation_tables (table_name, kind, province_key) VALUES
    ('parcels', 'register', 'province_code'),
    ('parcel_versions', 'register', 'commune_id'),
    ('parcel_land_uses', 'register', NULL),
    ('parties', 'register', NULL),
    ('party_members', 'register', NULL),
    ('rrrs', 'register', NULL),
    ('rrr_shares', 'register', NULL),
    ('rrr_changes', 'register', NULL),
    ('restriction_consents', 'register', NULL),
    ('certificate_blanks', 'register', 'province_code'),
    ('certificates', 'register', 'province_code'),
    ('signing_keys', 'register', 'province_code'),
    ('registry_counters', 'register', 'province_code'),
    ('receipt_counters', 'register', 'province_code'),
    ('dossiers', 'register', 'province_code'),
    ('dossier_parcels', 'register', NULL),
    ('dossier_events', 'register', NULL),
    ('dossier_pauses', 'register', NULL),
    ('dossier_documents', 'register', NULL),
    ('dossier_obligations', 'register', NULL),
    ('apology_letters', 'register', NULL),
    ('geometry_checks', 'register', NULL),
    ('online_submissions', 'register', 'province_code'),
    ('planning_plans', 'register', 'admin_unit_id'),
    ('planning_zones', 'register', NULL),
    ('audit_log', 'register', NULL),
    ('users', 'node', 'province_code'),
    -- An import is the node's job; the parcels it loads are the register's.
    ('import_jobs', 'node', 'province_code'),
    ('api_tokens', 'node', NULL),
    ('sign_in_failures', 'node', NULL),
    ('audit_chain_head', 'node', NULL),
    ('notices', 'node', NULL),
    ('submission_files', 'node', NULL),
    ('__diesel_schema_migrations', 'node', NULL),
    ('federation_scope', 'node', NULL),
    ('admin_units', 'reference', NULL),
    ('admin_unit_predecessors', 'reference', NULL),
    ('land_use_types', 'reference', NULL),
    ('procedures', 'reference', NULL),
    ('calendar_days', 'reference', NULL),
    ('reference_documents', 'reference', NULL),
    ('restriction_blocks', 'reference', NULL),
    ('change_rules', 'reference', NULL),
    ('issuing_authorities', 'reference', NULL),
    ('spatial_ref_sys', 'reference', NULL),
    ('federation_tables', 'reference', NULL);

-- A province's chain starts at the first id of its range (ids up to dense_after do not exist
-- there), so "no entry yet" is last_id = dense_after rather than last_id = 0. Every state the
-- old check allowed satisfies this one (migration 000010 set dense_after to the last legacy id).
ALTER TABLE audit_chain_head DROP CONSTRAINT audit_chain_head_check;
ALTER TABLE audit_chain_head ADD CONSTRAINT audit_chain_head_check CHECK ((last_hash IS NULL) = (last_id = dense_after));

-- Tables of the schema that federation_tables does not classify.
CREATE FUNCTION federation_unclassified() RETURNS SETOF text LANGUAGE sql STABLE AS $$
    SELECT c.relname::text FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND c.relname NOT IN (SELECT table_name FROM federation_tables)
     ORDER BY 1
$$;

-- The first id of a province's range minus one: code × 10^13 for bigint keys (ranges of ten
-- million million ids; the largest, 99·10^13 + 10^13, stays below 2^53, so ids survive
-- JavaScript clients), code × 10^7 for integer keys. Standalone ids (from 1) lie below every
-- province's range.
CREATE FUNCTION federation_id_base(p_province text, p_bigint boolean) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT p_province::bigint * CASE WHEN p_bigint THEN 10000000000000 ELSE 10000000 END
$$;

-- Raised on a national node for any local write to the register (statement triggers; the
-- subscriptions' apply workers run with session_replication_role = replica and skip them).
CREATE FUNCTION federation_refuse_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'this is the national read-only copy of the register: % on % belongs on the province''s own server',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'read_only_sql_transaction';
END $$;

-- Raised on a province node for a row of another province. TG_ARGV[0] is the table's
-- province_key; a NULL province passes where the column allows it (an admin account).
CREATE FUNCTION federation_check_province() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    own text := (SELECT province_code FROM federation_scope);
    code text;
BEGIN
    IF TG_ARGV[0] = 'province_code' THEN
        code := NEW.province_code;
    ELSE
        EXECUTE format('SELECT province_code FROM admin_units WHERE id = ($1).%I', TG_ARGV[0]) INTO code USING NEW;
    END IF;
    IF code IS NOT NULL AND code IS DISTINCT FROM own THEN
        RAISE EXCEPTION 'this server keeps the register of province % only; % belongs to province %',
            own, TG_TABLE_NAME, code
            USING ERRCODE = 'check_violation', CONSTRAINT = 'federation_scope';
    END IF;
    RETURN NEW;
END $$;

-- What the service's role may do here, beyond sql/grants.sql (which calls this after granting):
-- never write the scope; on a national node, write nothing at all, and start every transaction
-- read-only (a default the client could lift; the missing grants are the guarantee).
CREATE FUNCTION federation_service_rights() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    member text;
BEGIN
    IF to_regrole('diachinh_app') IS NULL THEN
        RETURN;
    END IF;
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON federation_scope, federation_tables FROM diachinh_app;
    IF (SELECT mode FROM federation_scope) = 'national' THEN
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public FROM diachinh_app;
        REVOKE USAGE, UPDATE ON ALL SEQUENCES IN SCHEMA public FROM diachinh_app;
        FOR member IN SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member
                       WHERE m.roleid = 'diachinh_app'::regrole LOOP
            EXECUTE format('ALTER ROLE %I IN DATABASE %I SET default_transaction_read_only = on',
                           member, current_database());
        END LOOP;
    END IF;
END $$;

-- Creates the guard triggers this node's mode needs on every classified table that lacks them
-- (tables added by later migrations are covered on the next apply), enabled.
CREATE FUNCTION federation_install_guards() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    scope federation_scope%ROWTYPE;
    t record;
BEGIN
    SELECT * INTO STRICT scope FROM federation_scope;
    FOR t IN SELECT f.table_name, f.kind, f.province_key, to_regclass(f.table_name) AS rel
               FROM federation_tables f WHERE to_regclass(f.table_name) IS NOT NULL ORDER BY 1 LOOP
        IF t.kind = 'register' THEN
            IF scope.mode = 'national'
               AND NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = t.rel AND tgname = 'federation_read_only') THEN
                EXECUTE format('CREATE TRIGGER federation_read_only BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
                               'FOR EACH STATEMENT EXECUTE FUNCTION federation_refuse_write()', t.table_name);
            END IF;
            IF EXISTS (SELECT FROM pg_trigger WHERE tgrelid = t.rel AND tgname = 'federation_read_only') THEN
                EXECUTE format('ALTER TABLE %I %s TRIGGER federation_read_only', t.table_name,
                               CASE WHEN scope.mode = 'national' THEN 'ENABLE' ELSE 'DISABLE' END);
            END IF;
        END IF;
        IF t.province_key IS NOT NULL THEN
            IF scope.mode = 'province'
               AND NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = t.rel AND tgname = 'federation_province') THEN
                EXECUTE format('CREATE TRIGGER federation_province BEFORE INSERT OR UPDATE ON %I '
                               'FOR EACH ROW EXECUTE FUNCTION federation_check_province(%L)',
                               t.table_name, t.province_key);
            END IF;
            IF EXISTS (SELECT FROM pg_trigger WHERE tgrelid = t.rel AND tgname = 'federation_province') THEN
                EXECUTE format('ALTER TABLE %I %s TRIGGER federation_province', t.table_name,
                               CASE WHEN scope.mode = 'province' THEN 'ENABLE' ELSE 'DISABLE' END);
            END IF;
        END IF;
    END LOOP;
END $$;

-- Makes this database a node: `province` (with its code) or `national`. Run by the owner. The
-- first time, the register must be empty (rows made before would carry ids outside the range,
-- or of other provinces); the same scope again only re-installs the guards and the rights. A
-- node never changes what it is: that is a new database. Returns federation_node().
CREATE FUNCTION federation_apply_scope(p_mode text, p_province text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    scope federation_scope%ROWTYPE;
    t record;
    s record;
    base bigint;
    size bigint;
    found_rows boolean;
BEGIN
    IF p_mode NOT IN ('province', 'national') OR (p_mode = 'province') <> (p_province IS NOT NULL)
       OR p_province !~ '^[0-9]{2}$' THEN
        RAISE EXCEPTION 'a federation scope is province with a 2-digit code, or national (got %, %)', p_mode, p_province;
    END IF;
    SELECT * INTO STRICT scope FROM federation_scope FOR UPDATE;
    IF scope.mode <> 'standalone' THEN
        IF scope.mode <> p_mode OR scope.province_code IS DISTINCT FROM p_province THEN
            RAISE EXCEPTION 'this database is already the % node%; it cannot become % %', scope.mode,
                coalesce(' of province ' || scope.province_code, ''), p_mode, coalesce(p_province, '');
        END IF;
    ELSE
        FOR t IN SELECT table_name FROM federation_tables
                  WHERE kind = 'register' AND to_regclass(table_name) IS NOT NULL ORDER BY 1 LOOP
            EXECUTE format('SELECT EXISTS (SELECT FROM %I)', t.table_name) INTO found_rows;
            IF found_rows THEN
                RAISE EXCEPTION 'table % already has rows: a database becomes a % node before it holds any register records',
                    t.table_name, p_mode;
            END IF;
        END LOOP;
        IF p_mode = 'province' THEN
            -- Every key of the register from the province's range; exhausting it is an error,
            -- never a step into the next province's.
            FOR s IN SELECT q.seqrelid::regclass AS seq, q.seqtypid = 'bigint'::regtype AS big
                       FROM federation_tables f
                       JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass
                                       AND d.refobjid = to_regclass(f.table_name) AND d.deptype IN ('a', 'i')
                       JOIN pg_sequence q ON q.seqrelid = d.objid AND d.classid = 'pg_class'::regclass
                      WHERE f.kind = 'register' LOOP
                base := federation_id_base(p_province, s.big);
                size := CASE WHEN s.big THEN 10000000000000 ELSE 10000000 END;
                EXECUTE format('ALTER SEQUENCE %s MINVALUE %s MAXVALUE %s START WITH %s RESTART WITH %s NO CYCLE',
                               s.seq, base + 1, base + size - 1, base + 1, base + 1);
            END LOOP;
            -- The audit chain assigns its own ids: the province's chain starts at its range.
            base := federation_id_base(p_province, true);
            UPDATE audit_chain_head SET last_id = base, dense_after = base;
        END IF;
        UPDATE federation_scope SET mode = p_mode, province_code = p_province, applied_at = now();
    END IF;
    PERFORM federation_install_guards();
    PERFORM federation_service_rights();
    RETURN federation_node();
END $$;

-- The reference data every node must hold identically (ids included: the register refers to
-- admin units by id): a digest to compare before subscribing.
CREATE FUNCTION federation_reference_fingerprint() RETURNS text LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT md5(concat_ws('|',
        (SELECT string_agg(concat_ws(',', id, level, code, province_code, parent_id, valid_from, valid_to), ';' ORDER BY id)
           FROM admin_units),
        (SELECT string_agg(concat_ws(',', unit_id, predecessor_id), ';' ORDER BY unit_id, predecessor_id)
           FROM admin_unit_predecessors),
        (SELECT string_agg(code, ';' ORDER BY code) FROM land_use_types),
        (SELECT string_agg(code, ';' ORDER BY code) FROM procedures)))
$$;

-- What a subscriber checks about a publisher before subscribing, as JSON text: its scope, the
-- newest migration it ran and its reference fingerprint. Callable by the replication login.
CREATE FUNCTION federation_node() RETURNS text LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT json_build_object(
        'mode', s.mode, 'province_code', s.province_code,
        'schema_version', (SELECT max(version) FROM __diesel_schema_migrations),
        'reference_fingerprint', federation_reference_fingerprint())::text
      FROM federation_scope s
$$;

-- Province: creates (or brings up to date) the publication `diachinh_<code>` of the register's
-- tables, and the login a national node subscribes as (REPLICATION, reads the published tables
-- only). Returns the published tables.
CREATE FUNCTION federation_publish(p_login text, p_password text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    scope federation_scope%ROWTYPE;
    pub text;
    tables text[];
    missing text;
BEGIN
    SELECT * INTO STRICT scope FROM federation_scope;
    IF scope.mode <> 'province' THEN
        RAISE EXCEPTION 'only a province node publishes (this one is %)', scope.mode;
    END IF;
    SELECT string_agg(u, ', ') INTO missing FROM federation_unclassified() u;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'tables not classified for federation (add them to federation_tables): %', missing;
    END IF;
    -- Without a replica identity, an UPDATE of a published table would fail on the province.
    SELECT string_agg(table_name, ', ') INTO missing FROM federation_tables f
     WHERE kind = 'register' AND NOT EXISTS (
         SELECT FROM pg_index i WHERE i.indrelid = to_regclass(f.table_name) AND i.indisprimary);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'published tables need a primary key: %', missing;
    END IF;
    SELECT array_agg(table_name ORDER BY table_name) INTO tables FROM federation_tables WHERE kind = 'register';
    pub := 'diachinh_' || scope.province_code;
    IF EXISTS (SELECT FROM pg_publication WHERE pubname = pub) THEN
        EXECUTE format('ALTER PUBLICATION %I SET TABLE %s', pub,
                       (SELECT string_agg(quote_ident(t), ', ') FROM unnest(tables) t));
    ELSE
        EXECUTE format('CREATE PUBLICATION %I FOR TABLE %s', pub,
                       (SELECT string_agg(quote_ident(t), ', ') FROM unnest(tables) t));
    END IF;
    IF p_login IS NOT NULL THEN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = p_login) THEN
            EXECUTE format('CREATE ROLE %I LOGIN', p_login);
        END IF;
        EXECUTE format('ALTER ROLE %I WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD %L',
                       p_login, p_password);
        EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', p_login);
        EXECUTE format('GRANT SELECT ON %s TO %I', (SELECT string_agg(quote_ident(t), ', ') FROM unnest(tables) t), p_login);
    END IF;
    RETURN tables;
END $$;

-- National: the statements that subscribe to province p_province's publication (or bring an
-- existing subscription up to date), each to be run on its own: CREATE SUBSCRIPTION and a
-- refresh cannot run inside a transaction or a function. Quoting is done here, not by callers.
CREATE FUNCTION federation_subscription_statements(p_province text, p_conninfo text) RETURNS text[]
LANGUAGE plpgsql STABLE AS $$
DECLARE
    name text := 'diachinh_' || p_province;
BEGIN
    IF (SELECT mode FROM federation_scope) <> 'national' THEN
        RAISE EXCEPTION 'only the national node subscribes to provinces';
    END IF;
    IF p_province !~ '^[0-9]{2}$' THEN
        RAISE EXCEPTION 'a province code has two digits (got %)', p_province;
    END IF;
    IF EXISTS (SELECT FROM pg_subscription WHERE subname = name AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())) THEN
        RETURN ARRAY[
            format('ALTER SUBSCRIPTION %I CONNECTION %L', name, p_conninfo),
            format('ALTER SUBSCRIPTION %I ENABLE', name),
            format('ALTER SUBSCRIPTION %I REFRESH PUBLICATION', name)];
    END IF;
    -- An apply error (a conflicting row) stops the subscription where `federation status` shows
    -- it, instead of retrying for ever.
    RETURN ARRAY[format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %I WITH (disable_on_error = true)',
                        name, p_conninfo, name)];
END $$;

-- The node's federation state as JSON text (`diachinh federation status`).
CREATE FUNCTION federation_status() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'mode', s.mode,
        'province_code', s.province_code,
        'applied_at', s.applied_at,
        'unclassified_tables', (SELECT coalesce(json_agg(u), '[]') FROM federation_unclassified() u),
        'publications', (SELECT coalesce(json_agg(json_build_object(
                             'name', p.pubname,
                             'tables', (SELECT count(*) FROM pg_publication_tables t WHERE t.pubname = p.pubname))
                           ORDER BY p.pubname), '[]')
                           FROM pg_publication p WHERE p.pubname LIKE 'diachinh\_%'),
        'slots', (SELECT coalesce(json_agg(json_build_object(
                      'name', r.slot_name, 'active', r.active,
                      'lag_bytes', pg_wal_lsn_diff(pg_current_wal_lsn(), r.confirmed_flush_lsn))
                    ORDER BY r.slot_name), '[]')
                    FROM pg_replication_slots r WHERE r.slot_type = 'logical' AND r.database = current_database()),
        'subscriptions', (SELECT coalesce(json_agg(json_build_object(
                              'name', b.subname, 'enabled', b.subenabled,
                              'worker_running', st.pid IS NOT NULL,
                              'received_lsn', st.received_lsn::text,
                              'last_message_at', st.last_msg_receipt_time)
                            ORDER BY b.subname), '[]')
                            FROM pg_subscription b
                            LEFT JOIN pg_stat_subscription st ON st.subid = b.oid AND st.relid IS NULL
                           WHERE b.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())))::text
      FROM federation_scope s
$$;
