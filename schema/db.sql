--
-- PostgreSQL database dump
--



SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: postgis; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA public;


--
-- Name: audit_entry_hash_v2(bytea, bigint, timestamp with time zone, integer, text, text, text, text, jsonb, jsonb); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.audit_entry_hash_v2(prev_hash bytea, id bigint, at timestamp with time zone, actor_id integer, actor text, action text, entity text, entity_id text, before jsonb, after jsonb) RETURNS bytea
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT sha256(
        convert_to('diachinh-audit-v2;', 'UTF8')
        || audit_field(encode(prev_hash, 'hex'))
        || audit_field(id::text)
        || audit_field(to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
        || audit_field(actor_id::text)
        || audit_field(actor)
        || audit_field(action)
        || audit_field(entity)
        || audit_field(entity_id)
        || audit_field(before::text)
        || audit_field(after::text))
$$;


--
-- Name: audit_field(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.audit_field(v text) RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT CASE WHEN v IS NULL THEN convert_to('N;', 'UTF8')
                ELSE convert_to(octet_length(convert_to(v, 'UTF8'))::text || ':', 'UTF8')
                     || convert_to(v, 'UTF8') || convert_to(';', 'UTF8') END
$$;


--
-- Name: audit_log_append_only(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;


--
-- Name: audit_log_chain(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.audit_log_chain() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public'
    AS $$
DECLARE
    head audit_chain_head%ROWTYPE;
BEGIN
    -- Held until the appending transaction ends: the next writer waits here, then reads the
    -- head this one left (READ COMMITTED re-reads the locked row).
    SELECT * INTO STRICT head FROM audit_chain_head FOR UPDATE;
    NEW.id := head.last_id + 1;
    NEW.prev_hash := head.last_hash;
    NEW.hash := audit_entry_hash_v2(NEW.prev_hash, NEW.id, NEW.at, NEW.actor_id, NEW.actor, NEW.action,
                                    NEW.entity, NEW.entity_id, NEW.before, NEW.after);
    UPDATE audit_chain_head SET last_id = NEW.id, last_hash = NEW.hash;
    RETURN NEW;
END $$;


--
-- Name: check_neighbours(text, bigint, double precision); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.check_neighbours(text, bigint, double precision) RETURNS TABLE(id text, code text, geometry text)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET plan_cache_mode TO 'force_generic_plan'
    AS $_$
#variable_conflict use_column
BEGIN
  RETURN QUERY
    WITH c AS MATERIALIZED (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS g),
         near AS MATERIALIZED (SELECT c.g::geography AS gg, ST_Expand(c.g, $3 / 100000.0) AS box FROM c)
    SELECT p.national_id AS id, '' AS code, ST_AsGeoJSON(v.geom, 9) AS geometry
      FROM near
      JOIN province_extents e
        ON e.west <= ST_XMax(near.box) AND e.east >= ST_XMin(near.box)
       AND e.south <= ST_YMax(near.box) AND e.north >= ST_YMin(near.box)
     CROSS JOIN LATERAL (SELECT v.parcel_id, v.province_code, v.geom FROM parcel_versions v
                          WHERE v.province_code = e.province_code AND v.valid_to IS NULL AND v.parcel_id <> $2
                            AND v.geom && near.box AND ST_DWithin(v.geom::geography, near.gg, $3)
                         OFFSET 0) v
      JOIN parcels p ON p.id = v.parcel_id AND p.province_code = v.province_code
     ORDER BY p.national_id
     LIMIT 500;
END
$_$;


--
-- Name: federation_apply_scope(text, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.federation_apply_scope(p_mode text, p_province text) RETURNS text
    LANGUAGE plpgsql
    AS $_$
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
END $_$;


--
-- Name: federation_check_province(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.federation_check_province() RETURNS trigger
    LANGUAGE plpgsql
    AS $_$
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
END $_$;


--
-- Name: federation_id_base(text, boolean); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.federation_id_base(p_province text, p_bigint boolean) RETURNS bigint
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT p_province::bigint * CASE WHEN p_bigint THEN 10000000000000 ELSE 10000000 END
$$;


--
-- Name: federation_install_guards(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.federation_install_guards() RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    scope federation_scope%ROWTYPE;
    t record;
    rel regclass;
BEGIN
    SELECT * INTO STRICT scope FROM federation_scope;
    FOR t IN SELECT f.table_name, f.kind, f.province_key, to_regclass(f.table_name) AS rel
               FROM federation_tables f WHERE to_regclass(f.table_name) IS NOT NULL ORDER BY 1 LOOP
        IF t.kind = 'register' THEN
            -- (pg_partition_tree() lists nothing for a table that is not partitioned.)
            FOR rel IN SELECT t.rel UNION SELECT relid FROM pg_partition_tree(t.rel) LOOP
                IF scope.mode = 'national'
                   AND NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = rel AND tgname = 'federation_read_only') THEN
                    EXECUTE format('CREATE TRIGGER federation_read_only BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s '
                                   'FOR EACH STATEMENT EXECUTE FUNCTION federation_refuse_write()', rel);
                END IF;
                IF EXISTS (SELECT FROM pg_trigger WHERE tgrelid = rel AND tgname = 'federation_read_only') THEN
                    EXECUTE format('ALTER TABLE %s %s TRIGGER federation_read_only', rel,
                                   CASE WHEN scope.mode = 'national' THEN 'ENABLE' ELSE 'DISABLE' END);
                END IF;
            END LOOP;
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


--
-- Name: federation_node(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.federation_node() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public'
    AS $$
    SELECT json_build_object(
        'mode', s.mode, 'province_code', s.province_code,
        'schema_version', (SELECT max(version) FROM __diesel_schema_migrations),
        'reference_fingerprint', federation_reference_fingerprint())::text
      FROM federation_scope s
$$;


--
-- Name: federation_publish(text, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.federation_publish(p_login text, p_password text) RETURNS text[]
    LANGUAGE plpgsql
    AS $$
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
        EXECUTE format('ALTER PUBLICATION %I SET (publish_via_partition_root = true)', pub);
    ELSE
        EXECUTE format('CREATE PUBLICATION %I FOR TABLE %s WITH (publish_via_partition_root = true)', pub,
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


--
-- Name: federation_reference_fingerprint(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.federation_reference_fingerprint() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public'
    AS $$
    SELECT md5(concat_ws('|',
        (SELECT string_agg(concat_ws(',', id, level, code, province_code, parent_id, valid_from, valid_to), ';' ORDER BY id)
           FROM admin_units),
        (SELECT string_agg(concat_ws(',', unit_id, predecessor_id), ';' ORDER BY unit_id, predecessor_id)
           FROM admin_unit_predecessors),
        (SELECT string_agg(code, ';' ORDER BY code) FROM land_use_types),
        (SELECT string_agg(code, ';' ORDER BY code) FROM procedures)))
$$;


--
-- Name: federation_refuse_write(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.federation_refuse_write() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'this is the national read-only copy of the register: % on % belongs on the province''s own server',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'read_only_sql_transaction';
END $$;


--
-- Name: federation_service_rights(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.federation_service_rights() RETURNS void
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: federation_status(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.federation_status() RETURNS text
    LANGUAGE sql STABLE
    AS $$
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


--
-- Name: federation_subscription_statements(text, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.federation_subscription_statements(p_province text, p_conninfo text) RETURNS text[]
    LANGUAGE plpgsql STABLE
    AS $_$
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
END $_$;


--
-- Name: federation_unclassified(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.federation_unclassified() RETURNS SETOF text
    LANGUAGE sql STABLE
    AS $$
    SELECT c.relname::text FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND c.relname NOT IN (SELECT table_name FROM federation_tables)
     ORDER BY 1
$$;


--
-- Name: parcel_current(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.parcel_current(text) RETURNS TABLE(parcel_id bigint, version_id bigint, national_id text, province_code text, commune_id integer, commune_code text, commune_name text, registered_commune_id integer, registered_commune_code text, sheet_no integer, parcel_no integer, legal_area_m2 double precision, address text, version integer, valid_from timestamp with time zone, valid_to timestamp with time zone, change_reason text, is_synthetic boolean, source_crs_epsg integer, land_uses text, geometry text)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET plan_cache_mode TO 'force_generic_plan'
    AS $_$
#variable_conflict use_column
BEGIN
  RETURN QUERY
    SELECT v.parcel_id, v.id AS version_id, p.national_id, p.province_code,
           v.commune_id, c.code AS commune_code, c.name AS commune_name,
           v.registered_commune_id, rc.code AS registered_commune_code,
           v.sheet_no, v.parcel_no, v.legal_area_m2::float8 AS legal_area_m2, v.address,
           v.version, v.valid_from, v.valid_to, v.change_reason, v.is_synthetic, v.source_crs_epsg,
           (SELECT coalesce(json_agg(json_build_object('code', lu.land_use_code, 'area_m2', lu.area_m2,
                                                       'use_until', lu.use_until)
                                     ORDER BY lu.area_m2 DESC, lu.land_use_code), '[]')::text
              FROM parcel_land_uses lu WHERE lu.parcel_version_id = v.id AND lu.province_code = v.province_code) AS land_uses,
           ST_AsGeoJSON(v.geom, 8) AS geometry
      FROM parcel_versions v
      JOIN parcels p ON p.id = v.parcel_id AND p.province_code = v.province_code
      JOIN admin_units c ON c.id = v.commune_id
      JOIN admin_units rc ON rc.id = v.registered_commune_id
     WHERE p.national_id = $1 AND v.valid_to IS NULL;
END
$_$;


--
-- Name: parcel_public(text, text, text[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.parcel_public(text, text, text[]) RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    AS $_$
BEGIN
  RETURN (
      SELECT json_build_object(
               'parcel', json_build_object(
                 'parcel_id', v.parcel_id, 'national_id', p.national_id, 'province_code', p.province_code,
                 'commune_code', c.code, 'commune_name', c.name, 'registered_commune_code', rc.code,
                 'sheet_no', v.sheet_no, 'parcel_no', v.parcel_no, 'legal_area_m2', v.legal_area_m2::float8,
                 'address', v.address, 'version', v.version, 'valid_from', v.valid_from, 'valid_to', v.valid_to,
                 'is_synthetic', v.is_synthetic, 'source_crs_epsg', v.source_crs_epsg,
                 'land_uses', (SELECT coalesce(json_agg(json_build_object('code', lu.land_use_code, 'area_m2', lu.area_m2,
                                                                          'use_until', lu.use_until)
                                                        ORDER BY lu.area_m2 DESC, lu.land_use_code), '[]')
                                 FROM parcel_land_uses lu WHERE lu.parcel_version_id = v.id AND lu.province_code = v.province_code),
                 'geometry', ST_AsGeoJSON(v.geom, 8)::json),
               'holders', (SELECT coalesce(json_agg(json_build_object('kind', pa.kind, 'full_name', pa.full_name,
                                                                      'share', s.share::float8)
                                                    ORDER BY s.share DESC, pa.id), '[]')
                             FROM rrrs r JOIN rrr_shares s ON s.rrr_id = r.id JOIN parties pa ON pa.id = s.party_id
                            WHERE r.parcel_id = v.parcel_id AND r.kind = 'use_right' AND r.valid_to IS NULL),
               'certificate', (SELECT json_build_object('serial', ce.serial, 'status', ce.status, 'issued_on', ce.issued_on)
                                 FROM certificates ce JOIN rrrs r ON r.id = ce.rrr_id
                                WHERE r.parcel_id = v.parcel_id
                                ORDER BY (ce.status = 'valid') DESC, ce.issued_on DESC, ce.id DESC LIMIT 1),
               'certificate_pending', EXISTS (SELECT 1 FROM rrrs r
                                                LEFT JOIN certificates ce ON ce.rrr_id = r.id AND ce.status = 'valid'
                                               WHERE r.parcel_id = v.parcel_id AND r.kind = 'use_right'
                                                 AND r.valid_to IS NULL AND ce.id IS NULL),
               'has_mortgage', EXISTS (SELECT 1 FROM rrrs r
                                        WHERE r.parcel_id = v.parcel_id AND r.valid_to IS NULL AND r.kind = $2),
               'restricted', EXISTS (SELECT 1 FROM rrrs r
                                      WHERE r.parcel_id = v.parcel_id AND r.valid_to IS NULL AND r.kind = ANY ($3))
             )::text
        FROM parcel_versions v
        JOIN parcels p ON p.id = v.parcel_id AND p.province_code = v.province_code
        JOIN admin_units c ON c.id = v.commune_id
        JOIN admin_units rc ON rc.id = v.registered_commune_id
       WHERE p.national_id = $1 AND v.valid_to IS NULL
  );
END
$_$;


--
-- Name: parcel_tile(integer, integer, integer, text[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.parcel_tile(integer, integer, integer, text[]) RETURNS TABLE(stamp_n bigint, stamp_changed timestamp with time zone, mvt bytea)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET plan_cache_mode TO 'force_generic_plan'
    AS $_$
BEGIN
  SELECT s.n, s.changed INTO stamp_n, stamp_changed FROM (
      WITH bounds AS (
          SELECT ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326) AS env4326
      )
      SELECT count(*) AS n,
             coalesce(max(greatest(v.valid_from, v.valid_to)), 'epoch'::timestamptz) AS changed
        FROM bounds
        JOIN province_extents e
          ON e.west <= ST_XMax(bounds.env4326) AND e.east >= ST_XMin(bounds.env4326)
         AND e.south <= ST_YMax(bounds.env4326) AND e.north >= ST_YMin(bounds.env4326)
       CROSS JOIN LATERAL (SELECT v.valid_from, v.valid_to FROM parcel_versions v
                            WHERE v.province_code = e.province_code AND v.geom && bounds.env4326
                           OFFSET 0) v
  ) AS s;
  IF stamp_n > 0 AND NOT coalesce('*' = ANY ($4)
      OR stamp_n || '-' || (extract(epoch FROM stamp_changed) * 1000000)::bigint = ANY ($4), false) THEN
    SELECT coalesce(t.tile, ''::bytea) INTO mvt FROM (
      WITH bounds AS (
          SELECT ST_TileEnvelope($1, $2, $3) AS env,
                 ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326) AS env4326
      ), features AS (
          SELECT v.parcel_id AS fid,
                 p.national_id,
                 (SELECT lu.land_use_code FROM parcel_land_uses lu WHERE lu.parcel_version_id = v.id AND lu.province_code = v.province_code
                   ORDER BY lu.area_m2 DESC, lu.land_use_code LIMIT 1) AS land_use,
                 CASE WHEN $1 >= 16 THEN c.code END AS commune,
                 CASE WHEN $1 >= 16 THEN v.sheet_no END AS sheet,
                 CASE WHEN $1 >= 16 THEN v.parcel_no END AS parcel,
                 CASE WHEN $1 >= 17 THEN v.legal_area_m2::float8 END AS area_m2,
                 ST_AsMVTGeom(ST_Transform(v.geom, 3857), bounds.env, 4096, 64, true) AS geom
            FROM bounds
            JOIN province_extents e
              ON e.west <= ST_XMax(bounds.env4326) AND e.east >= ST_XMin(bounds.env4326)
             AND e.south <= ST_YMax(bounds.env4326) AND e.north >= ST_YMin(bounds.env4326)
           CROSS JOIN LATERAL (SELECT v.* FROM parcel_versions v
                                WHERE v.province_code = e.province_code AND v.geom && bounds.env4326 AND v.valid_to IS NULL
                               OFFSET 0) v
            JOIN parcels p ON p.id = v.parcel_id AND p.province_code = v.province_code
           CROSS JOIN LATERAL (SELECT c.code FROM admin_units c WHERE c.id = v.commune_id OFFSET 0) c
      )
      SELECT ST_AsMVT(features, 'parcels', 4096, 'geom', 'fid') AS tile FROM features
    ) AS t;
  END IF;
  RETURN NEXT;
END
$_$;


--
-- Name: parcels_page(double precision, double precision, double precision, double precision, bigint, bigint, bigint); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.parcels_page(double precision, double precision, double precision, double precision, bigint, bigint, bigint) RETURNS TABLE(feature text, matched bigint)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET max_parallel_workers_per_gather TO '0'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $_$
DECLARE
  returned bigint;
BEGIN
  IF $1 IS NULL THEN
    RETURN QUERY
      SELECT json_build_object(
               'parcel_id', v.parcel_id, 'national_id', p.national_id, 'province_code', p.province_code,
               'commune_code', c.code, 'commune_name', c.name, 'registered_commune_code', rc.code,
               'sheet_no', v.sheet_no, 'parcel_no', v.parcel_no, 'legal_area_m2', v.legal_area_m2::float8,
               'address', v.address, 'version', v.version, 'valid_from', v.valid_from, 'valid_to', v.valid_to,
               'is_synthetic', v.is_synthetic, 'source_crs_epsg', v.source_crs_epsg,
               'land_uses', (SELECT coalesce(json_agg(json_build_object('code', lu.land_use_code, 'area_m2', lu.area_m2,
                                                                        'use_until', lu.use_until)
                                                      ORDER BY lu.area_m2 DESC, lu.land_use_code), '[]')
                               FROM parcel_land_uses lu WHERE lu.parcel_version_id = v.id AND lu.province_code = v.province_code),
               'geometry', ST_AsGeoJSON(v.geom, 8)::json)::text,
             NULL::bigint
        FROM parcel_versions v
        JOIN parcels p ON p.id = v.parcel_id AND p.province_code = v.province_code
        JOIN admin_units c ON c.id = v.commune_id
        JOIN admin_units rc ON rc.id = v.registered_commune_id
       WHERE v.valid_to IS NULL AND v.parcel_id > $5 AND p.id > $5
       ORDER BY v.parcel_id
       LIMIT $6
    ;
  ELSE
    RETURN QUERY
      SELECT json_build_object(
               'parcel_id', v.parcel_id, 'national_id', p.national_id, 'province_code', p.province_code,
               'commune_code', c.code, 'commune_name', c.name, 'registered_commune_code', rc.code,
               'sheet_no', v.sheet_no, 'parcel_no', v.parcel_no, 'legal_area_m2', v.legal_area_m2::float8,
               'address', v.address, 'version', v.version, 'valid_from', v.valid_from, 'valid_to', v.valid_to,
               'is_synthetic', v.is_synthetic, 'source_crs_epsg', v.source_crs_epsg,
               'land_uses', (SELECT coalesce(json_agg(json_build_object('code', lu.land_use_code, 'area_m2', lu.area_m2,
                                                                        'use_until', lu.use_until)
                                                      ORDER BY lu.area_m2 DESC, lu.land_use_code), '[]')
                               FROM parcel_land_uses lu WHERE lu.parcel_version_id = v.id AND lu.province_code = v.province_code),
               'geometry', ST_AsGeoJSON(v.geom, 8)::json)::text,
             NULL::bigint
        FROM province_extents e
       CROSS JOIN LATERAL (SELECT v.* FROM parcel_versions v
                            WHERE v.province_code = e.province_code AND v.valid_to IS NULL
                              AND ST_Intersects(v.geom, ST_MakeEnvelope($1, $2, $3, $4, 4326)) AND v.parcel_id > $5
                           OFFSET 0) v
        JOIN parcels p ON p.id = v.parcel_id AND p.province_code = v.province_code
       CROSS JOIN LATERAL (SELECT c.code, c.name FROM admin_units c WHERE c.id = v.commune_id OFFSET 0) c
       CROSS JOIN LATERAL (SELECT rc.code FROM admin_units rc WHERE rc.id = v.registered_commune_id OFFSET 0) rc
       WHERE e.west <= $3 AND e.east >= $1 AND e.south <= $4 AND e.north >= $2 AND p.id > $5
       ORDER BY v.parcel_id
       LIMIT $6
    ;
  END IF;
  IF $7 IS NULL OR $5 <> 0 THEN
    RETURN;
  END IF;
  GET DIAGNOSTICS returned = ROW_COUNT;
  feature := NULL;
  IF returned < $6 THEN
    -- The whole filter fits in this page: its rows are the count.
    matched := returned;
  ELSIF $1 IS NULL THEN
    matched := (
        SELECT count(*) FROM (SELECT 1 FROM parcel_versions v WHERE v.valid_to IS NULL LIMIT $7 + 1) AS hits
    );
  ELSE
    matched := (
        SELECT count(*) FROM (SELECT 1 FROM province_extents e
                                CROSS JOIN LATERAL (SELECT 1 FROM parcel_versions v
                                                     WHERE v.province_code = e.province_code AND v.valid_to IS NULL
                                                       AND ST_Intersects(v.geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))
                                                    OFFSET 0) v
                               WHERE e.west <= $3 AND e.east >= $1 AND e.south <= $4 AND e.north >= $2
                               LIMIT $7 + 1) AS hits
    );
  END IF;
  IF matched > $7 THEN
    matched := NULL;
  END IF;
  RETURN NEXT;
END
$_$;


--
-- Name: planning_zone_tile(integer, integer, integer, text[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.planning_zone_tile(integer, integer, integer, text[]) RETURNS TABLE(stamp_n bigint, stamp_changed timestamp with time zone, mvt bytea)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    AS $_$
BEGIN
  SELECT s.n, s.changed INTO stamp_n, stamp_changed FROM (
      WITH bounds AS (
          SELECT ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326) AS env4326
      )
      SELECT count(*) AS n,
             coalesce(max(greatest(z.created_at, pl.updated_at)), 'epoch'::timestamptz) AS changed
        FROM bounds
        JOIN planning_zones z ON z.geom && bounds.env4326
        JOIN planning_plans pl ON pl.id = z.plan_id
  ) AS s;
  IF stamp_n > 0 AND NOT coalesce('*' = ANY ($4)
      OR stamp_n || '-' || (extract(epoch FROM stamp_changed) * 1000000)::bigint = ANY ($4), false) THEN
    SELECT coalesce(t.tile, ''::bytea) INTO mvt FROM (
      WITH bounds AS (
          SELECT ST_TileEnvelope($1, $2, $3) AS env,
                 ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326) AS env4326
      ), features AS (
          SELECT z.id AS fid,
                 z.id AS zone_id,
                 z.plan_id,
                 z.land_use_code AS land_use,
                 CASE WHEN $1 >= 13 THEN z.name END AS name,
                 CASE WHEN $1 >= 13 THEN pl.name END AS plan_name,
                 CASE WHEN $1 >= 13 THEN pl.decision_no END AS decision_no,
                 ST_AsMVTGeom(ST_Transform(z.geom, 3857), bounds.env, 4096, 64, true) AS geom
            FROM bounds
            JOIN planning_zones z ON z.geom && bounds.env4326
            JOIN planning_plans pl ON pl.id = z.plan_id AND pl.status = 'approved'
      )
      SELECT ST_AsMVT(features, 'planning-zones', 4096, 'geom', 'fid') AS tile FROM features
    ) AS t;
  END IF;
  RETURN NEXT;
END
$_$;


--
-- Name: province_extents_cover(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.province_extents_cover() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public'
    AS $$
DECLARE
    w float8;
    s float8;
    e float8;
    n float8;
BEGIN
    IF NEW.geom IS NULL OR ST_IsEmpty(NEW.geom) THEN
        RETURN NULL;
    END IF;
    w := floor(ST_XMin(NEW.geom) * 100) / 100;
    s := floor(ST_YMin(NEW.geom) * 100) / 100;
    e := ceil(ST_XMax(NEW.geom) * 100) / 100;
    n := ceil(ST_YMax(NEW.geom) * 100) / 100;
    PERFORM FROM province_extents x
      WHERE x.province_code = NEW.province_code AND x.west <= w AND x.south <= s AND x.east >= e AND x.north >= n;
    IF NOT FOUND THEN
        -- Concurrent writers of one province queue on its row here and each widens the
        -- latest box (READ COMMITTED re-reads it), so no growth is lost.
        INSERT INTO province_extents AS x (province_code, west, south, east, north)
        VALUES (NEW.province_code, w, s, e, n)
        ON CONFLICT (province_code) DO UPDATE
           SET west = least(x.west, excluded.west), south = least(x.south, excluded.south),
               east = greatest(x.east, excluded.east), north = greatest(x.north, excluded.north);
    END IF;
    RETURN NULL;
END $$;


--
-- Name: province_extents_refresh(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.province_extents_refresh(p_code text DEFAULT NULL::text) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public'
    AS $$
DECLARE
    touched integer;
BEGIN
    INSERT INTO province_extents AS x (province_code, west, south, east, north)
    SELECT v.province_code,
           floor(min(ST_XMin(v.geom)) * 100) / 100, floor(min(ST_YMin(v.geom)) * 100) / 100,
           ceil(max(ST_XMax(v.geom)) * 100) / 100, ceil(max(ST_YMax(v.geom)) * 100) / 100
      FROM parcel_versions v
     WHERE (p_code IS NULL OR v.province_code = p_code) AND v.geom IS NOT NULL AND NOT ST_IsEmpty(v.geom)
     GROUP BY v.province_code
    ON CONFLICT (province_code) DO UPDATE
       SET west = least(x.west, excluded.west), south = least(x.south, excluded.south),
           east = greatest(x.east, excluded.east), north = greatest(x.north, excluded.north);
    GET DIAGNOSTICS touched = ROW_COUNT;
    RETURN touched;
END $$;


--
-- Name: province_partition_create(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.province_partition_create(p_code text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public'
    AS $_$
DECLARE
    parent text;
    part text;
    ix record;
    wanted text;
    made boolean := false;
BEGIN
    IF p_code IS NULL OR p_code !~ '^[0-9]{2}$' THEN
        RAISE EXCEPTION 'a province code has two digits (got %)', p_code;
    END IF;
    FOREACH parent IN ARRAY ARRAY['parcel_versions', 'parcel_land_uses'] LOOP
        part := parent || '_p' || p_code;
        IF to_regclass(part) IS NULL THEN
            EXECUTE format('CREATE TABLE public.%I PARTITION OF public.%I FOR VALUES IN (%L)', part, parent, p_code);
            made := true;
        END IF;
        FOR ix IN SELECT c.relname AS child, pc.relname AS parent_index
                    FROM pg_index x
                    JOIN pg_class c ON c.oid = x.indexrelid
                    JOIN pg_inherits i ON i.inhrelid = x.indexrelid
                    JOIN pg_class pc ON pc.oid = i.inhparent
                   WHERE x.indrelid = to_regclass(part) AND pc.relname LIKE parent || '\_%' LOOP
            wanted := part || substr(ix.parent_index, length(parent) + 1);
            IF ix.child <> wanted AND to_regclass(wanted) IS NULL THEN
                EXECUTE format('ALTER INDEX %I RENAME TO %I', ix.child, wanted);
            END IF;
        END LOOP;
    END LOOP;
    RETURN made;
END $_$;


--
-- Name: province_partitions_attach(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.province_partitions_attach(p_code text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public'
    AS $_$
BEGIN
    IF p_code IS NULL OR p_code !~ '^[0-9]{2}$' THEN
        RAISE EXCEPTION 'a province code has two digits (got %)', p_code;
    END IF;
    EXECUTE format('ALTER TABLE parcel_versions ATTACH PARTITION %I FOR VALUES IN (%L)', 'parcel_versions_p' || p_code, p_code);
    EXECUTE format('ALTER TABLE parcel_land_uses ATTACH PARTITION %I FOR VALUES IN (%L)', 'parcel_land_uses_p' || p_code, p_code);
    -- Rows written while the partition was away (on another node, by a restore) grew no extent here.
    PERFORM province_extents_refresh(p_code);
    BEGIN
        ALTER TABLE rrrs VALIDATE CONSTRAINT rrrs_parcel_version_fkey;
    EXCEPTION WHEN foreign_key_violation THEN
        RAISE NOTICE 'rights of a province still detached refer to its versions: rrrs_parcel_version_fkey stays NOT VALID until it is attached';
    END;
END $_$;


--
-- Name: province_partitions_detach(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.province_partitions_detach(p_code text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public'
    AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_inherits WHERE inhparent = 'parcel_versions'::regclass
                                             AND inhrelid = to_regclass('parcel_versions_p' || p_code)) THEN
        RAISE EXCEPTION 'province % has no attached partition of parcel_versions', p_code;
    END IF;
    ALTER TABLE rrrs DROP CONSTRAINT rrrs_parcel_version_fkey;
    EXECUTE format('ALTER TABLE parcel_land_uses DETACH PARTITION %I', 'parcel_land_uses_p' || p_code);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT parcel_land_uses_version_fkey', 'parcel_land_uses_p' || p_code);
    EXECUTE format('ALTER TABLE parcel_versions DETACH PARTITION %I', 'parcel_versions_p' || p_code);
    ALTER TABLE rrrs ADD CONSTRAINT rrrs_parcel_version_fkey FOREIGN KEY (parcel_version_id, province_code)
        REFERENCES parcel_versions (id, province_code) ON DELETE RESTRICT ON UPDATE CASCADE NOT VALID;
END $$;


--
-- Name: province_partitions_ensure(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.province_partitions_ensure() RETURNS text[]
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public'
    AS $$
DECLARE
    code text;
    made text[] := '{}';
BEGIN
    FOR code IN SELECT DISTINCT u.province_code FROM admin_units u WHERE u.level = 'province' ORDER BY 1 LOOP
        IF province_partition_create(code) THEN
            made := made || code;
        END IF;
    END LOOP;
    IF cardinality(made) > 0 AND (SELECT mode FROM federation_scope) <> 'standalone' THEN
        PERFORM federation_install_guards();
    END IF;
    RETURN made;
END $$;


--
-- Name: province_partitions_on_new_units(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.province_partitions_on_new_units() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public'
    AS $$
BEGIN
    PERFORM province_partitions_ensure();
    RETURN NULL;
END $$;


--
-- Name: refuse_blocked_write(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.refuse_blocked_write() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    v_parcel bigint;
    v_dossier bigint;
    v_procedure text;
    v_blocker record;
BEGIN
    IF TG_TABLE_NAME = 'certificates' THEN
        v_dossier := NEW.dossier_id;
        SELECT parcel_id INTO v_parcel FROM rrrs WHERE id = NEW.rrr_id;
    ELSE
        v_dossier := NEW.registered_dossier_id;
        v_parcel := NEW.parcel_id;
    END IF;
    SELECT procedure_code INTO v_procedure FROM dossiers WHERE id = v_dossier;
    SELECT * INTO v_blocker FROM restriction_blockers(v_parcel, v_procedure, v_dossier) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'R7.2: % #% blocks procedure % on parcel % (%)',
            v_blocker.kind, v_blocker.rrr_id, v_procedure, v_parcel, v_blocker.legal_basis
            USING ERRCODE = 'check_violation', CONSTRAINT = 'restriction_blocks';
    END IF;
    RETURN NEW;
END $$;


--
-- Name: restriction_blockers(bigint, text, bigint); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.restriction_blockers(p_parcel bigint, p_procedure text, p_dossier bigint) RETURNS TABLE(rrr_id bigint, kind text, effect text, legal_basis text)
    LANGUAGE sql STABLE
    AS $$
    SELECT r.id, r.kind, b.effect, b.legal_basis
    FROM rrrs r
    CROSS JOIN LATERAL (
        SELECT x.effect, x.legal_basis FROM restriction_blocks x
        WHERE x.restriction_kind = r.kind AND x.procedure_code IN (p_procedure, '*')
        ORDER BY x.procedure_code = '*'
        LIMIT 1
    ) b
    WHERE r.parcel_id = p_parcel AND r.valid_to IS NULL AND r.kind <> 'use_right'
      AND (b.effect = 'blocks'
           OR (b.effect = 'blocks_unless_consent' AND NOT EXISTS (
               SELECT 1 FROM restriction_consents c WHERE c.rrr_id = r.id AND c.dossier_id = p_dossier)))
$$;


--
-- Name: rrrs_province_from_parcel(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rrrs_province_from_parcel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.province_code := (SELECT p.province_code FROM parcels p WHERE p.id = NEW.parcel_id);
    RETURN NEW;
END $$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: __diesel_schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.__diesel_schema_migrations (
    version character varying(50) NOT NULL,
    run_on timestamp without time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: admin_unit_predecessors; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.admin_unit_predecessors (
    unit_id integer NOT NULL,
    predecessor_id integer NOT NULL,
    CONSTRAINT admin_unit_predecessors_check CHECK ((unit_id <> predecessor_id))
);


--
-- Name: admin_units; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.admin_units (
    id integer NOT NULL,
    level text NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    division_type text NOT NULL,
    parent_id integer,
    province_code text NOT NULL,
    valid_from date NOT NULL,
    valid_to date,
    boundary public.geometry(MultiPolygon,4326),
    boundary_source text,
    default_crs_epsg integer,
    CONSTRAINT admin_units_check CHECK (((valid_to IS NULL) OR (valid_to > valid_from))),
    CONSTRAINT admin_units_check1 CHECK (((boundary IS NULL) = (boundary_source IS NULL))),
    CONSTRAINT admin_units_code_check CHECK ((code ~ '^[0-9]{2,5}$'::text)),
    CONSTRAINT admin_units_level_check CHECK ((level = ANY (ARRAY['province'::text, 'district'::text, 'commune'::text]))),
    CONSTRAINT admin_units_name_check CHECK ((length(name) > 0)),
    CONSTRAINT admin_units_province_code_check CHECK ((province_code ~ '^[0-9]{2}$'::text))
);


--
-- Name: admin_units_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.admin_units_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: admin_units_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.admin_units_id_seq OWNED BY public.admin_units.id;


--
-- Name: api_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_tokens (
    token_hash bytea NOT NULL,
    user_id integer NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT api_tokens_check CHECK ((expires_at > created_at)),
    CONSTRAINT api_tokens_token_hash_check CHECK ((length(token_hash) = 32))
);


--
-- Name: apology_letters; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.apology_letters (
    id bigint NOT NULL,
    dossier_id bigint NOT NULL,
    reason text NOT NULL,
    new_due_on date NOT NULL,
    issued_at timestamp with time zone DEFAULT now() NOT NULL,
    issued_by integer,
    previous_due_on date,
    CONSTRAINT apology_letters_reason_check CHECK ((length(reason) > 0))
);


--
-- Name: apology_letters_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.apology_letters_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: apology_letters_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.apology_letters_id_seq OWNED BY public.apology_letters.id;


--
-- Name: audit_chain_head; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_chain_head (
    one boolean DEFAULT true NOT NULL,
    last_id bigint NOT NULL,
    last_hash bytea,
    dense_after bigint NOT NULL,
    CONSTRAINT audit_chain_head_check CHECK (((last_hash IS NULL) = (last_id = dense_after))),
    CONSTRAINT audit_chain_head_dense_after_check CHECK ((dense_after >= 0)),
    CONSTRAINT audit_chain_head_last_hash_check CHECK ((length(last_hash) = 32)),
    CONSTRAINT audit_chain_head_last_id_check CHECK ((last_id >= 0)),
    CONSTRAINT audit_chain_head_one_check CHECK (one)
);


--
-- Name: audit_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_log (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    actor_id integer,
    actor text NOT NULL,
    action text NOT NULL,
    entity text NOT NULL,
    entity_id text NOT NULL,
    before jsonb,
    after jsonb,
    prev_hash bytea,
    hash bytea NOT NULL
);


--
-- Name: calendar_days; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.calendar_days (
    day date NOT NULL,
    kind text NOT NULL,
    note text DEFAULT ''::text NOT NULL,
    CONSTRAINT calendar_days_kind_check CHECK ((kind = ANY (ARRAY['off'::text, 'working'::text, 'tet'::text])))
);


--
-- Name: certificate_blanks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.certificate_blanks (
    serial text NOT NULL,
    province_code text NOT NULL,
    status text DEFAULT 'unused'::text NOT NULL,
    voided_reason text,
    CONSTRAINT certificate_blanks_check CHECK (((status = 'voided'::text) = (voided_reason IS NOT NULL))),
    CONSTRAINT certificate_blanks_province_code_check CHECK ((province_code ~ '^[0-9]{2}$'::text)),
    CONSTRAINT certificate_blanks_serial_check CHECK ((serial ~ '^[A-ZĐ]{2}[0-9]{8}$'::text)),
    CONSTRAINT certificate_blanks_status_check CHECK ((status = ANY (ARRAY['unused'::text, 'issued'::text, 'voided'::text])))
);


--
-- Name: certificates; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.certificates (
    id bigint NOT NULL,
    serial text NOT NULL,
    registry_no text NOT NULL,
    province_code text NOT NULL,
    rrr_id bigint NOT NULL,
    issued_on date NOT NULL,
    issuing_authority text NOT NULL,
    status text DEFAULT 'valid'::text NOT NULL,
    replaced_by_id bigint,
    qr_payload text,
    signature text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    registry_year integer NOT NULL,
    dossier_id bigint,
    revoked_at timestamp with time zone,
    revoked_reason text,
    content jsonb,
    key_id text,
    CONSTRAINT certificates_check CHECK (((status = 'replaced'::text) = (replaced_by_id IS NOT NULL))),
    CONSTRAINT certificates_province_code_check CHECK ((province_code ~ '^[0-9]{2}$'::text)),
    CONSTRAINT certificates_revocation CHECK (((status = 'revoked'::text) = (revoked_at IS NOT NULL))),
    CONSTRAINT certificates_serial_check CHECK ((serial ~ '^[A-ZĐ]{2}[0-9]{6}([0-9]{2})?$'::text)),
    CONSTRAINT certificates_status_check CHECK ((status = ANY (ARRAY['valid'::text, 'revoked'::text, 'replaced'::text])))
);


--
-- Name: certificates_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.certificates_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: certificates_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.certificates_id_seq OWNED BY public.certificates.id;


--
-- Name: change_rules; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.change_rules (
    procedure_code text NOT NULL,
    change_kind text NOT NULL,
    result text NOT NULL,
    deadline_days integer,
    legal_basis text NOT NULL,
    CONSTRAINT change_rules_change_kind_check CHECK ((change_kind = ANY (ARRAY['purpose'::text, 'holder_details'::text, 'term'::text, 'boundary'::text, 'inheritance'::text, 'share_transfer'::text, 'division'::text]))),
    CONSTRAINT change_rules_deadline_days_check CHECK ((deadline_days > 0)),
    CONSTRAINT change_rules_legal_basis_check CHECK ((length(legal_basis) > 0)),
    CONSTRAINT change_rules_result_check CHECK ((result = ANY (ARRAY['endorsement'::text, 'new_certificate'::text])))
);


--
-- Name: dossier_documents; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.dossier_documents (
    dossier_id bigint NOT NULL,
    "position" integer NOT NULL,
    title text NOT NULL,
    copies integer DEFAULT 1 NOT NULL,
    CONSTRAINT dossier_documents_copies_check CHECK ((copies > 0)),
    CONSTRAINT dossier_documents_position_check CHECK (("position" > 0)),
    CONSTRAINT dossier_documents_title_check CHECK ((length(title) > 0))
);


--
-- Name: dossier_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.dossier_events (
    id bigint NOT NULL,
    dossier_id bigint NOT NULL,
    action text NOT NULL,
    from_state text,
    to_state text NOT NULL,
    actor_id integer,
    at timestamp with time zone DEFAULT now() NOT NULL,
    note text,
    purpose text,
    CONSTRAINT dossier_events_purpose CHECK (((purpose IS NOT NULL) = (action = 'send_to_commune'::text))),
    CONSTRAINT dossier_events_purpose_check CHECK ((purpose = ANY (ARRAY['site_verification'::text, 'posting'::text])))
);


--
-- Name: dossier_events_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.dossier_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: dossier_events_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.dossier_events_id_seq OWNED BY public.dossier_events.id;


--
-- Name: dossier_obligations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.dossier_obligations (
    id bigint NOT NULL,
    dossier_id bigint NOT NULL,
    notice_no text NOT NULL,
    amount bigint NOT NULL,
    notice_on date NOT NULL,
    paid_on date,
    recorded_by integer,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT dossier_obligations_amount_check CHECK ((amount >= 0)),
    CONSTRAINT dossier_obligations_check CHECK (((paid_on IS NULL) OR (paid_on >= notice_on))),
    CONSTRAINT dossier_obligations_notice_no_check CHECK ((length(notice_no) > 0))
);


--
-- Name: dossier_obligations_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.dossier_obligations_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: dossier_obligations_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.dossier_obligations_id_seq OWNED BY public.dossier_obligations.id;


--
-- Name: dossier_parcels; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.dossier_parcels (
    dossier_id bigint NOT NULL,
    parcel_id bigint NOT NULL
);


--
-- Name: dossier_pauses; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.dossier_pauses (
    id bigint NOT NULL,
    dossier_id bigint NOT NULL,
    reason text NOT NULL,
    from_day date NOT NULL,
    to_day date,
    CONSTRAINT dossier_pauses_check CHECK (((to_day IS NULL) OR (to_day >= from_day))),
    CONSTRAINT dossier_pauses_reason_check CHECK ((reason = ANY (ARRAY['supplement'::text, 'financial_obligation'::text, 'posting'::text])))
);


--
-- Name: dossier_pauses_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.dossier_pauses_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: dossier_pauses_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.dossier_pauses_id_seq OWNED BY public.dossier_pauses.id;


--
-- Name: dossiers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.dossiers (
    id bigint NOT NULL,
    receipt_no text NOT NULL,
    procedure_code text NOT NULL,
    province_code text NOT NULL,
    commune_id integer,
    channel text NOT NULL,
    applicant_party_id bigint NOT NULL,
    state text NOT NULL,
    received_at timestamp with time zone NOT NULL,
    statutory_days integer NOT NULL,
    due_on date NOT NULL,
    return_method text,
    returned_at timestamp with time zone,
    created_by integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    remote_commune boolean DEFAULT false NOT NULL,
    paused_since timestamp with time zone,
    decided_at timestamp with time zone,
    result_ready_at timestamp with time zone,
    tracking_code text NOT NULL,
    cutoff time without time zone NOT NULL,
    return_tracking_no text,
    documents_checked boolean DEFAULT false NOT NULL,
    missing_documents jsonb DEFAULT '[]'::jsonb NOT NULL,
    incomplete_note text,
    return_address text,
    contact_email text,
    CONSTRAINT dossiers_channel_check CHECK ((channel = ANY (ARRAY['counter'::text, 'online'::text, 'postal'::text]))),
    CONSTRAINT dossiers_check CHECK (((state = 'returned'::text) = (returned_at IS NOT NULL))),
    CONSTRAINT dossiers_check1 CHECK (((return_tracking_no IS NULL) OR ((return_method = 'postal'::text) AND (return_tracking_no ~ '^[A-Z0-9-]{6,40}$'::text)))),
    CONSTRAINT dossiers_incomplete_has_note CHECK (((missing_documents = '[]'::jsonb) OR (incomplete_note IS NOT NULL))),
    CONSTRAINT dossiers_incomplete_note_check CHECK (((incomplete_note IS NULL) OR (length(incomplete_note) > 0))),
    CONSTRAINT dossiers_missing_documents_check CHECK ((jsonb_typeof(missing_documents) = 'array'::text)),
    CONSTRAINT dossiers_province_code_check CHECK ((province_code ~ '^[0-9]{2}$'::text)),
    CONSTRAINT dossiers_return_address_check CHECK (((return_address IS NULL) OR (length(return_address) > 0))),
    CONSTRAINT dossiers_return_method_check CHECK ((return_method = ANY (ARRAY['counter'::text, 'postal'::text, 'online'::text]))),
    CONSTRAINT dossiers_state_check CHECK ((state = ANY (ARRAY['received'::text, 'supplement_requested'::text, 'appraising'::text, 'at_commune'::text, 'at_tax_office'::text, 'awaiting_payment'::text, 'approved'::text, 'rejected'::text, 'result_ready'::text, 'returned'::text, 'withdrawn'::text]))),
    CONSTRAINT dossiers_statutory_days_check CHECK ((statutory_days >= 0)),
    CONSTRAINT dossiers_tracking_code_format CHECK ((tracking_code ~ '^[2-9A-HJKMNP-Z]{6}$'::text))
);


--
-- Name: dossiers_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.dossiers_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: dossiers_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.dossiers_id_seq OWNED BY public.dossiers.id;


--
-- Name: federation_scope; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.federation_scope (
    one boolean DEFAULT true NOT NULL,
    mode text NOT NULL,
    province_code text,
    applied_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT federation_scope_check CHECK (((mode = 'province'::text) = (province_code IS NOT NULL))),
    CONSTRAINT federation_scope_mode_check CHECK ((mode = ANY (ARRAY['standalone'::text, 'province'::text, 'national'::text]))),
    CONSTRAINT federation_scope_one_check CHECK (one),
    CONSTRAINT federation_scope_province_code_check CHECK ((province_code ~ '^[0-9]{2}$'::text))
);


--
-- Name: federation_tables; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.federation_tables (
    table_name text NOT NULL,
    kind text NOT NULL,
    province_key text,
    CONSTRAINT federation_tables_check CHECK (((province_key IS NULL) OR (kind <> 'reference'::text))),
    CONSTRAINT federation_tables_kind_check CHECK ((kind = ANY (ARRAY['register'::text, 'reference'::text, 'node'::text])))
);


--
-- Name: geometry_checks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.geometry_checks (
    id bigint NOT NULL,
    dossier_id bigint,
    checked_at timestamp with time zone DEFAULT now() NOT NULL,
    outcome text NOT NULL,
    report jsonb NOT NULL,
    parcel_id bigint,
    CONSTRAINT geometry_checks_outcome_check CHECK ((outcome = ANY (ARRAY['pass'::text, 'warn'::text, 'fail'::text])))
);


--
-- Name: geometry_checks_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.geometry_checks_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: geometry_checks_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.geometry_checks_id_seq OWNED BY public.geometry_checks.id;


--
-- Name: import_jobs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.import_jobs (
    id bigint NOT NULL,
    commune_id integer NOT NULL,
    province_code text NOT NULL,
    user_id integer,
    requested_by text NOT NULL,
    source_name text NOT NULL,
    layer text NOT NULL,
    source_crs_epsg integer NOT NULL,
    field_map jsonb NOT NULL,
    mode text NOT NULL,
    status text DEFAULT 'queued'::text NOT NULL,
    phase text DEFAULT 'queued'::text NOT NULL,
    features_total bigint,
    features_read bigint DEFAULT 0 NOT NULL,
    features_validated bigint DEFAULT 0 NOT NULL,
    features_loaded bigint DEFAULT 0 NOT NULL,
    features_rejected bigint DEFAULT 0 NOT NULL,
    audit_id bigint,
    rejected_by_code jsonb,
    rejected_gpkg bytea,
    error jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    CONSTRAINT import_jobs_check CHECK (((status = ANY (ARRAY['succeeded'::text, 'failed'::text])) = (finished_at IS NOT NULL))),
    CONSTRAINT import_jobs_features_loaded_check CHECK ((features_loaded >= 0)),
    CONSTRAINT import_jobs_features_read_check CHECK ((features_read >= 0)),
    CONSTRAINT import_jobs_features_rejected_check CHECK ((features_rejected >= 0)),
    CONSTRAINT import_jobs_features_total_check CHECK ((features_total >= 0)),
    CONSTRAINT import_jobs_features_validated_check CHECK ((features_validated >= 0)),
    CONSTRAINT import_jobs_mode_check CHECK ((mode = ANY (ARRAY['all_or_nothing'::text, 'load_valid'::text]))),
    CONSTRAINT import_jobs_province_code_check CHECK ((province_code ~ '^[0-9]{2}$'::text)),
    CONSTRAINT import_jobs_requested_by_check CHECK ((length(requested_by) > 0)),
    CONSTRAINT import_jobs_status_check CHECK ((status = ANY (ARRAY['queued'::text, 'running'::text, 'succeeded'::text, 'failed'::text])))
);


--
-- Name: import_jobs_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.import_jobs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: import_jobs_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.import_jobs_id_seq OWNED BY public.import_jobs.id;


--
-- Name: issuing_authorities; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.issuing_authorities (
    province_code text NOT NULL,
    procedure_code text NOT NULL,
    holder_kind text NOT NULL,
    authority text NOT NULL,
    registry_prefix text NOT NULL,
    legal_basis text NOT NULL,
    CONSTRAINT issuing_authorities_authority_check CHECK ((length(authority) > 0)),
    CONSTRAINT issuing_authorities_holder_kind_check CHECK ((holder_kind = ANY (ARRAY['*'::text, 'person'::text, 'household'::text, 'organisation'::text, 'religious'::text, 'community'::text, 'foreign_invested'::text]))),
    CONSTRAINT issuing_authorities_legal_basis_check CHECK ((length(legal_basis) > 0)),
    CONSTRAINT issuing_authorities_procedure_code_check CHECK (((procedure_code = '*'::text) OR (procedure_code ~ '^[0-9]\.[0-9]{6}$'::text))),
    CONSTRAINT issuing_authorities_province_code_check CHECK (((province_code = '*'::text) OR (province_code ~ '^[0-9]{2}$'::text))),
    CONSTRAINT issuing_authorities_registry_prefix_check CHECK ((registry_prefix ~ '^[A-Z]{2,3}$'::text))
);


--
-- Name: land_use_types; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.land_use_types (
    code text NOT NULL,
    name text NOT NULL,
    category text NOT NULL,
    CONSTRAINT land_use_types_category_check CHECK ((category = ANY (ARRAY['NNP'::text, 'PNN'::text, 'CSD'::text]))),
    CONSTRAINT land_use_types_code_check CHECK ((code ~ '^[A-Z]{3}$'::text))
);


--
-- Name: notices; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.notices (
    id bigint NOT NULL,
    kind text NOT NULL,
    submission_id bigint,
    dossier_id bigint,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    sent_at timestamp with time zone,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    CONSTRAINT notices_attempts_check CHECK ((attempts >= 0)),
    CONSTRAINT notices_check CHECK (((submission_id IS NOT NULL) OR (dossier_id IS NOT NULL))),
    CONSTRAINT notices_kind_check CHECK ((kind = ANY (ARRAY['submission_received'::text, 'submission_accepted'::text, 'submission_refused'::text, 'supplement_requested'::text, 'apology'::text, 'result_ready'::text, 'sent_by_post'::text]))),
    CONSTRAINT notices_recipient_check CHECK ((length(recipient) > 0))
);


--
-- Name: notices_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.notices_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: notices_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.notices_id_seq OWNED BY public.notices.id;


--
-- Name: online_submissions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.online_submissions (
    id bigint NOT NULL,
    submission_no text NOT NULL,
    secret_sha256 text NOT NULL,
    procedure_code text NOT NULL,
    province_code text NOT NULL,
    commune_id integer NOT NULL,
    parcel_id bigint,
    applicant_kind text NOT NULL,
    applicant_name text NOT NULL,
    applicant_id_number text,
    applicant_address text,
    email text NOT NULL,
    phone text,
    return_method text NOT NULL,
    postal_address text,
    state text DEFAULT 'submitted'::text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    respond_by date NOT NULL,
    decided_at timestamp with time zone,
    decided_by integer,
    refusal_ground text,
    refusal_note text,
    dossier_id bigint,
    CONSTRAINT online_submissions_applicant_kind_check CHECK ((applicant_kind = ANY (ARRAY['person'::text, 'household'::text, 'organisation'::text]))),
    CONSTRAINT online_submissions_applicant_name_check CHECK ((length(applicant_name) > 0)),
    CONSTRAINT online_submissions_decision CHECK ((((state = 'submitted'::text) AND (decided_at IS NULL) AND (dossier_id IS NULL) AND (refusal_ground IS NULL)) OR ((state = 'accepted'::text) AND (decided_at IS NOT NULL) AND (dossier_id IS NOT NULL) AND (refusal_ground IS NULL)) OR ((state = 'refused'::text) AND (decided_at IS NOT NULL) AND (dossier_id IS NULL) AND (refusal_ground IS NOT NULL) AND (refusal_note IS NOT NULL)))),
    CONSTRAINT online_submissions_email_check CHECK ((POSITION(('@'::text) IN (email)) > 1)),
    CONSTRAINT online_submissions_postal_address CHECK (((return_method = 'postal'::text) = (postal_address IS NOT NULL))),
    CONSTRAINT online_submissions_postal_address_check CHECK (((postal_address IS NULL) OR (length(postal_address) > 0))),
    CONSTRAINT online_submissions_refusal_ground_check CHECK ((refusal_ground = ANY (ARRAY['incomplete'::text, 'illegible'::text, 'wrong_procedure'::text, 'not_competent'::text, 'duplicate'::text, 'other'::text]))),
    CONSTRAINT online_submissions_refusal_note_check CHECK (((refusal_note IS NULL) OR (length(refusal_note) > 0))),
    CONSTRAINT online_submissions_return_method_check CHECK ((return_method = ANY (ARRAY['counter'::text, 'postal'::text, 'online'::text]))),
    CONSTRAINT online_submissions_secret_sha256_check CHECK ((secret_sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT online_submissions_state_check CHECK ((state = ANY (ARRAY['submitted'::text, 'accepted'::text, 'refused'::text]))),
    CONSTRAINT online_submissions_submission_no_check CHECK ((submission_no ~ '^TT\.[0-9]{2}\.[0-9]{6}\.[0-9]{5,12}$'::text))
);


--
-- Name: online_submissions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.online_submissions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: online_submissions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.online_submissions_id_seq OWNED BY public.online_submissions.id;


--
-- Name: parcel_land_uses; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.parcel_land_uses (
    parcel_version_id bigint NOT NULL,
    land_use_code text NOT NULL,
    area_m2 numeric(14,1) NOT NULL,
    use_until date,
    origin text,
    province_code text NOT NULL,
    CONSTRAINT parcel_land_uses_area_m2_check CHECK ((area_m2 > (0)::numeric))
)
PARTITION BY LIST (province_code);


--
-- Name: parcel_versions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.parcel_versions (
    id bigint NOT NULL,
    parcel_id bigint NOT NULL,
    version integer NOT NULL,
    commune_id integer NOT NULL,
    registered_commune_id integer NOT NULL,
    sheet_no integer NOT NULL,
    parcel_no integer NOT NULL,
    geom public.geometry(MultiPolygon,4326) NOT NULL,
    source_crs_epsg integer NOT NULL,
    legal_area_m2 numeric(14,1) NOT NULL,
    address text,
    valid_from timestamp with time zone DEFAULT now() NOT NULL,
    valid_to timestamp with time zone,
    change_reason text NOT NULL,
    is_synthetic boolean DEFAULT false NOT NULL,
    province_code text NOT NULL,
    CONSTRAINT parcel_versions_check CHECK (((valid_to IS NULL) OR (valid_to > valid_from))),
    CONSTRAINT parcel_versions_geom_check CHECK ((NOT public.st_isempty(geom))),
    CONSTRAINT parcel_versions_legal_area_m2_check CHECK ((legal_area_m2 > (0)::numeric)),
    CONSTRAINT parcel_versions_parcel_no_check CHECK ((parcel_no > 0)),
    CONSTRAINT parcel_versions_province_code_check CHECK ((province_code ~ '^[0-9]{2}$'::text)),
    CONSTRAINT parcel_versions_sheet_no_check CHECK ((sheet_no > 0)),
    CONSTRAINT parcel_versions_version_check CHECK ((version > 0))
)
PARTITION BY LIST (province_code);


--
-- Name: parcel_versions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.parcel_versions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: parcel_versions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.parcel_versions_id_seq OWNED BY public.parcel_versions.id;


--
-- Name: parcels; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.parcels (
    id bigint NOT NULL,
    national_id text NOT NULL,
    province_code text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    retired_at timestamp with time zone,
    CONSTRAINT parcels_national_id_check CHECK ((national_id ~ '^[0-9b-hjkmnp-z]{12}$'::text)),
    CONSTRAINT parcels_province_code_check CHECK ((province_code ~ '^[0-9]{2}$'::text))
);


--
-- Name: parcels_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.parcels_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: parcels_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.parcels_id_seq OWNED BY public.parcels.id;


--
-- Name: parties; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.parties (
    id bigint NOT NULL,
    kind text NOT NULL,
    full_name text NOT NULL,
    id_number text,
    birth_year integer,
    address text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    title text,
    CONSTRAINT parties_birth_year_check CHECK (((birth_year >= 1880) AND (birth_year <= 2100))),
    CONSTRAINT parties_full_name_check CHECK ((length(full_name) > 0)),
    CONSTRAINT parties_kind_check CHECK ((kind = ANY (ARRAY['person'::text, 'household'::text, 'organisation'::text, 'religious'::text, 'community'::text, 'foreign_invested'::text]))),
    CONSTRAINT parties_title_check CHECK ((title = ANY (ARRAY['ong'::text, 'ba'::text])))
);


--
-- Name: parties_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.parties_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: parties_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.parties_id_seq OWNED BY public.parties.id;


--
-- Name: party_members; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.party_members (
    party_id bigint NOT NULL,
    seq integer NOT NULL,
    role text NOT NULL,
    title text,
    full_name text NOT NULL,
    id_number text,
    relation text,
    CONSTRAINT party_members_full_name_check CHECK ((length(full_name) > 0)),
    CONSTRAINT party_members_role_check CHECK ((role = ANY (ARRAY['spouse'::text, 'member'::text]))),
    CONSTRAINT party_members_seq_check CHECK ((seq > 0)),
    CONSTRAINT party_members_title_check CHECK ((title = ANY (ARRAY['ong'::text, 'ba'::text])))
);


--
-- Name: planning_plans; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.planning_plans (
    id integer NOT NULL,
    level text NOT NULL,
    admin_unit_id integer NOT NULL,
    name text NOT NULL,
    period_start integer NOT NULL,
    period_end integer NOT NULL,
    decision_no text,
    decision_date date,
    status text DEFAULT 'draft'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    is_synthetic boolean DEFAULT false NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT planning_plans_check CHECK ((period_end >= period_start)),
    CONSTRAINT planning_plans_check1 CHECK (((status = 'draft'::text) OR ((decision_no IS NOT NULL) AND (decision_date IS NOT NULL)))),
    CONSTRAINT planning_plans_level_check CHECK ((level = ANY (ARRAY['province'::text, 'commune'::text]))),
    CONSTRAINT planning_plans_period_start_check CHECK (((period_start >= 2000) AND (period_start <= 2100))),
    CONSTRAINT planning_plans_status_check CHECK ((status = ANY (ARRAY['draft'::text, 'approved'::text, 'superseded'::text])))
);


--
-- Name: planning_plans_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.planning_plans_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: planning_plans_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.planning_plans_id_seq OWNED BY public.planning_plans.id;


--
-- Name: planning_zones; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.planning_zones (
    id bigint NOT NULL,
    plan_id integer NOT NULL,
    land_use_code text NOT NULL,
    name text,
    geom public.geometry(MultiPolygon,4326) NOT NULL,
    source_crs_epsg integer NOT NULL,
    is_synthetic boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT planning_zones_geom_check CHECK ((NOT public.st_isempty(geom)))
);


--
-- Name: planning_zones_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.planning_zones_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: planning_zones_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.planning_zones_id_seq OWNED BY public.planning_zones.id;


--
-- Name: procedures; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.procedures (
    code text NOT NULL,
    name text NOT NULL,
    working_days integer NOT NULL,
    remote_extra_days integer DEFAULT 0 NOT NULL,
    online_level text NOT NULL,
    required_documents jsonb DEFAULT '[]'::jsonb NOT NULL,
    outcome text DEFAULT 'information'::text NOT NULL,
    restriction_kind text,
    cutoff time without time zone,
    max_supplements integer DEFAULT 1 NOT NULL,
    pause_reasons text[] DEFAULT '{supplement,financial_obligation}'::text[] NOT NULL,
    site_verification_days integer DEFAULT 0 NOT NULL,
    posting_days integer DEFAULT 0 NOT NULL,
    CONSTRAINT procedures_code_check CHECK ((code ~ '^[0-9]\.[0-9]{6}$'::text)),
    CONSTRAINT procedures_max_supplements_check CHECK ((max_supplements >= 0)),
    CONSTRAINT procedures_online_level_check CHECK ((online_level = ANY (ARRAY['full'::text, 'partial'::text, 'none'::text]))),
    CONSTRAINT procedures_outcome_check CHECK ((outcome = ANY (ARRAY['first_registration'::text, 'transfer'::text, 'split_merge'::text, 'reissue'::text, 'correction'::text, 'change'::text, 'information'::text, 'register_restriction'::text, 'release_restriction'::text]))),
    CONSTRAINT procedures_pause_reasons_check CHECK ((pause_reasons <@ ARRAY['supplement'::text, 'financial_obligation'::text, 'posting'::text])),
    CONSTRAINT procedures_posting_days_check CHECK ((posting_days >= 0)),
    CONSTRAINT procedures_remote_extra_days_check CHECK ((remote_extra_days >= 0)),
    CONSTRAINT procedures_restriction_kind CHECK (((outcome = ANY (ARRAY['register_restriction'::text, 'release_restriction'::text])) = (restriction_kind IS NOT NULL))),
    CONSTRAINT procedures_restriction_kind_check CHECK ((restriction_kind = ANY (ARRAY['mortgage'::text, 'lease'::text, 'sublease'::text, 'seizure'::text, 'injunction'::text, 'enforcement_hold'::text, 'dispute'::text]))),
    CONSTRAINT procedures_site_verification_days_check CHECK ((site_verification_days >= 0)),
    CONSTRAINT procedures_working_days_check CHECK ((working_days >= 0))
);


--
-- Name: province_extents; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.province_extents (
    province_code text NOT NULL,
    west double precision NOT NULL,
    south double precision NOT NULL,
    east double precision NOT NULL,
    north double precision NOT NULL,
    CONSTRAINT province_extents_check CHECK (((west <= east) AND (south <= north)))
);


--
-- Name: receipt_counters; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.receipt_counters (
    province_code text NOT NULL,
    day date NOT NULL,
    last_no integer NOT NULL,
    CONSTRAINT receipt_counters_last_no_check CHECK ((last_no > 0)),
    CONSTRAINT receipt_counters_province_code_check CHECK ((province_code ~ '^[0-9]{2}$'::text))
);


--
-- Name: reference_documents; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.reference_documents (
    name text NOT NULL,
    content text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT reference_documents_name_check CHECK ((name = ANY (ARRAY['area-tolerance'::text, 'min-split-area'::text])))
);


--
-- Name: registry_counters; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.registry_counters (
    province_code text NOT NULL,
    year integer NOT NULL,
    last_no integer NOT NULL,
    CONSTRAINT registry_counters_last_no_check CHECK ((last_no >= 0)),
    CONSTRAINT registry_counters_province_code_check CHECK ((province_code ~ '^[0-9]{2}$'::text))
);


--
-- Name: restriction_blocks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.restriction_blocks (
    restriction_kind text NOT NULL,
    procedure_code text NOT NULL,
    effect text NOT NULL,
    legal_basis text NOT NULL,
    CONSTRAINT restriction_blocks_effect_check CHECK ((effect = ANY (ARRAY['blocks'::text, 'blocks_unless_consent'::text, 'allowed'::text]))),
    CONSTRAINT restriction_blocks_legal_basis_check CHECK ((length(legal_basis) > 0)),
    CONSTRAINT restriction_blocks_procedure_code_check CHECK (((procedure_code = '*'::text) OR (procedure_code ~ '^[0-9]\.[0-9]{6}$'::text))),
    CONSTRAINT restriction_blocks_restriction_kind_check CHECK ((restriction_kind = ANY (ARRAY['mortgage'::text, 'lease'::text, 'sublease'::text, 'seizure'::text, 'injunction'::text, 'enforcement_hold'::text, 'dispute'::text, 'restriction'::text])))
);


--
-- Name: restriction_consents; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.restriction_consents (
    rrr_id bigint NOT NULL,
    dossier_id bigint NOT NULL,
    document text NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    recorded_by integer,
    CONSTRAINT restriction_consents_document_check CHECK ((length(document) > 0))
);


--
-- Name: rrr_changes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.rrr_changes (
    id bigint NOT NULL,
    dossier_id bigint NOT NULL,
    parcel_id bigint NOT NULL,
    kind text NOT NULL,
    result text NOT NULL,
    from_rrr_id bigint NOT NULL,
    to_rrr_id bigint NOT NULL,
    from_version integer NOT NULL,
    to_version integer NOT NULL,
    certificate_id bigint NOT NULL,
    replaced_certificate_id bigint,
    event_date date,
    due_on date,
    late boolean DEFAULT false NOT NULL,
    summary text NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    recorded_by integer,
    CONSTRAINT rrr_changes_check CHECK ((from_rrr_id <> to_rrr_id)),
    CONSTRAINT rrr_changes_check1 CHECK (((NOT late) OR (due_on IS NOT NULL))),
    CONSTRAINT rrr_changes_check2 CHECK (((result = 'new_certificate'::text) = (replaced_certificate_id IS NOT NULL))),
    CONSTRAINT rrr_changes_kind_check CHECK ((kind = ANY (ARRAY['purpose'::text, 'holder_details'::text, 'term'::text, 'boundary'::text, 'inheritance'::text, 'share_transfer'::text, 'division'::text]))),
    CONSTRAINT rrr_changes_result_check CHECK ((result = ANY (ARRAY['endorsement'::text, 'new_certificate'::text]))),
    CONSTRAINT rrr_changes_summary_check CHECK ((length(summary) > 0))
);


--
-- Name: rrr_changes_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.rrr_changes_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: rrr_changes_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.rrr_changes_id_seq OWNED BY public.rrr_changes.id;


--
-- Name: rrr_shares; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.rrr_shares (
    rrr_id bigint NOT NULL,
    party_id bigint NOT NULL,
    share numeric(9,8) NOT NULL,
    ord integer,
    CONSTRAINT rrr_shares_ord_check CHECK ((ord >= 0)),
    CONSTRAINT rrr_shares_share_check CHECK (((share > (0)::numeric) AND (share <= (1)::numeric)))
);


--
-- Name: rrrs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.rrrs (
    id bigint NOT NULL,
    kind text NOT NULL,
    parcel_id bigint NOT NULL,
    parcel_version_id bigint NOT NULL,
    use_form text,
    source_document text NOT NULL,
    description text,
    valid_from timestamp with time zone DEFAULT now() NOT NULL,
    valid_to timestamp with time zone,
    legal_basis text,
    counterparty text,
    reference_no text,
    secured_amount bigint,
    term_start date,
    term_end date,
    documents jsonb DEFAULT '[]'::jsonb NOT NULL,
    registered_dossier_id bigint,
    released_dossier_id bigint,
    ended_reason text,
    carried_from_id bigint,
    province_code text NOT NULL,
    CONSTRAINT rrrs_check CHECK (((valid_to IS NULL) OR (valid_to > valid_from))),
    CONSTRAINT rrrs_documents_check CHECK ((jsonb_typeof(documents) = 'array'::text)),
    CONSTRAINT rrrs_ended_has_reason CHECK (((valid_to IS NULL) OR (kind = 'use_right'::text) OR (ended_reason IS NOT NULL) OR (carried_from_id IS NOT NULL) OR (legal_basis IS NULL))),
    CONSTRAINT rrrs_kind_check CHECK ((kind = ANY (ARRAY['use_right'::text, 'mortgage'::text, 'lease'::text, 'sublease'::text, 'seizure'::text, 'injunction'::text, 'enforcement_hold'::text, 'dispute'::text, 'restriction'::text]))),
    CONSTRAINT rrrs_mortgage_fields CHECK (((kind <> 'mortgage'::text) OR ((counterparty IS NOT NULL) AND (reference_no IS NOT NULL)))),
    CONSTRAINT rrrs_secured_amount_check CHECK (((secured_amount IS NULL) OR (secured_amount > 0))),
    CONSTRAINT rrrs_term_order CHECK (((term_end IS NULL) OR (term_start IS NULL) OR (term_end > term_start))),
    CONSTRAINT rrrs_use_form_check CHECK ((use_form = ANY (ARRAY['sole'::text, 'joint'::text])))
);


--
-- Name: rrrs_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.rrrs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: rrrs_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.rrrs_id_seq OWNED BY public.rrrs.id;


--
-- Name: sign_in_failures; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sign_in_failures (
    id bigint NOT NULL,
    username text NOT NULL,
    client text NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    counts_for_account boolean DEFAULT true NOT NULL,
    CONSTRAINT sign_in_failures_client_check CHECK ((length(client) <= 64)),
    CONSTRAINT sign_in_failures_username_check CHECK ((length(username) <= 256))
);


--
-- Name: sign_in_failures_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.sign_in_failures_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: sign_in_failures_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.sign_in_failures_id_seq OWNED BY public.sign_in_failures.id;


--
-- Name: signing_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.signing_keys (
    key_id text NOT NULL,
    province_code text NOT NULL,
    public_key bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT signing_keys_province_code_check CHECK ((province_code ~ '^[0-9]{2}$'::text)),
    CONSTRAINT signing_keys_public_key_check CHECK ((length(public_key) = 32))
);


--
-- Name: submission_files; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.submission_files (
    id bigint NOT NULL,
    submission_id bigint NOT NULL,
    requirement integer NOT NULL,
    file_name text NOT NULL,
    media_type text NOT NULL,
    size_bytes integer NOT NULL,
    sha256 text NOT NULL,
    content bytea NOT NULL,
    CONSTRAINT submission_files_check CHECK ((octet_length(content) = size_bytes)),
    CONSTRAINT submission_files_file_name_check CHECK (((length(file_name) >= 1) AND (length(file_name) <= 255))),
    CONSTRAINT submission_files_media_type_check CHECK ((media_type = ANY (ARRAY['application/pdf'::text, 'image/jpeg'::text, 'image/png'::text]))),
    CONSTRAINT submission_files_requirement_check CHECK ((requirement >= 1)),
    CONSTRAINT submission_files_sha256_check CHECK ((sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT submission_files_size_bytes_check CHECK ((size_bytes > 0))
);


--
-- Name: submission_files_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.submission_files_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: submission_files_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.submission_files_id_seq OWNED BY public.submission_files.id;


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id integer NOT NULL,
    username text NOT NULL,
    full_name text NOT NULL,
    password_hash text NOT NULL,
    role text NOT NULL,
    province_code text,
    active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT users_check CHECK (((role = 'admin'::text) OR (province_code IS NOT NULL))),
    CONSTRAINT users_province_code_check CHECK ((province_code ~ '^[0-9]{2}$'::text)),
    CONSTRAINT users_role_check CHECK ((role = ANY (ARRAY['officer'::text, 'approver'::text, 'planner'::text, 'admin'::text]))),
    CONSTRAINT users_username_check CHECK ((username ~ '^[a-z0-9._-]{3,64}$'::text))
);


--
-- Name: users_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.users_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: users_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;


--
-- Name: admin_units id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.admin_units ALTER COLUMN id SET DEFAULT nextval('public.admin_units_id_seq'::regclass);


--
-- Name: apology_letters id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.apology_letters ALTER COLUMN id SET DEFAULT nextval('public.apology_letters_id_seq'::regclass);


--
-- Name: certificates id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.certificates ALTER COLUMN id SET DEFAULT nextval('public.certificates_id_seq'::regclass);


--
-- Name: dossier_events id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossier_events ALTER COLUMN id SET DEFAULT nextval('public.dossier_events_id_seq'::regclass);


--
-- Name: dossier_obligations id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossier_obligations ALTER COLUMN id SET DEFAULT nextval('public.dossier_obligations_id_seq'::regclass);


--
-- Name: dossier_pauses id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossier_pauses ALTER COLUMN id SET DEFAULT nextval('public.dossier_pauses_id_seq'::regclass);


--
-- Name: dossiers id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossiers ALTER COLUMN id SET DEFAULT nextval('public.dossiers_id_seq'::regclass);


--
-- Name: geometry_checks id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.geometry_checks ALTER COLUMN id SET DEFAULT nextval('public.geometry_checks_id_seq'::regclass);


--
-- Name: import_jobs id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.import_jobs ALTER COLUMN id SET DEFAULT nextval('public.import_jobs_id_seq'::regclass);


--
-- Name: notices id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notices ALTER COLUMN id SET DEFAULT nextval('public.notices_id_seq'::regclass);


--
-- Name: online_submissions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.online_submissions ALTER COLUMN id SET DEFAULT nextval('public.online_submissions_id_seq'::regclass);


--
-- Name: parcel_versions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.parcel_versions ALTER COLUMN id SET DEFAULT nextval('public.parcel_versions_id_seq'::regclass);


--
-- Name: parcels id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.parcels ALTER COLUMN id SET DEFAULT nextval('public.parcels_id_seq'::regclass);


--
-- Name: parties id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.parties ALTER COLUMN id SET DEFAULT nextval('public.parties_id_seq'::regclass);


--
-- Name: planning_plans id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.planning_plans ALTER COLUMN id SET DEFAULT nextval('public.planning_plans_id_seq'::regclass);


--
-- Name: planning_zones id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.planning_zones ALTER COLUMN id SET DEFAULT nextval('public.planning_zones_id_seq'::regclass);


--
-- Name: rrr_changes id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rrr_changes ALTER COLUMN id SET DEFAULT nextval('public.rrr_changes_id_seq'::regclass);


--
-- Name: rrrs id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rrrs ALTER COLUMN id SET DEFAULT nextval('public.rrrs_id_seq'::regclass);


--
-- Name: sign_in_failures id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sign_in_failures ALTER COLUMN id SET DEFAULT nextval('public.sign_in_failures_id_seq'::regclass);


--
-- Name: submission_files id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_files ALTER COLUMN id SET DEFAULT nextval('public.submission_files_id_seq'::regclass);


--
-- Name: users id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);


--
-- Name: __diesel_schema_migrations __diesel_schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.__diesel_schema_migrations
    ADD CONSTRAINT __diesel_schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: admin_unit_predecessors admin_unit_predecessors_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.admin_unit_predecessors
    ADD CONSTRAINT admin_unit_predecessors_pkey PRIMARY KEY (unit_id, predecessor_id);


--
-- Name: admin_units admin_units_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.admin_units
    ADD CONSTRAINT admin_units_pkey PRIMARY KEY (id);


--
-- Name: api_tokens api_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_tokens
    ADD CONSTRAINT api_tokens_pkey PRIMARY KEY (token_hash);


--
-- Name: apology_letters apology_letters_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.apology_letters
    ADD CONSTRAINT apology_letters_pkey PRIMARY KEY (id);


--
-- Name: audit_chain_head audit_chain_head_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_chain_head
    ADD CONSTRAINT audit_chain_head_pkey PRIMARY KEY (one);


--
-- Name: audit_log audit_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);


--
-- Name: calendar_days calendar_days_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.calendar_days
    ADD CONSTRAINT calendar_days_pkey PRIMARY KEY (day);


--
-- Name: certificate_blanks certificate_blanks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.certificate_blanks
    ADD CONSTRAINT certificate_blanks_pkey PRIMARY KEY (serial);


--
-- Name: certificates certificates_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.certificates
    ADD CONSTRAINT certificates_pkey PRIMARY KEY (id);


--
-- Name: certificates certificates_registry_unique; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.certificates
    ADD CONSTRAINT certificates_registry_unique UNIQUE (province_code, registry_year, registry_no);


--
-- Name: certificates certificates_serial_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.certificates
    ADD CONSTRAINT certificates_serial_key UNIQUE (serial);


--
-- Name: change_rules change_rules_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.change_rules
    ADD CONSTRAINT change_rules_pkey PRIMARY KEY (procedure_code, change_kind);


--
-- Name: dossier_documents dossier_documents_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossier_documents
    ADD CONSTRAINT dossier_documents_pkey PRIMARY KEY (dossier_id, "position");


--
-- Name: dossier_events dossier_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossier_events
    ADD CONSTRAINT dossier_events_pkey PRIMARY KEY (id);


--
-- Name: dossier_obligations dossier_obligations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossier_obligations
    ADD CONSTRAINT dossier_obligations_pkey PRIMARY KEY (id);


--
-- Name: dossier_parcels dossier_parcels_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossier_parcels
    ADD CONSTRAINT dossier_parcels_pkey PRIMARY KEY (dossier_id, parcel_id);


--
-- Name: dossier_pauses dossier_pauses_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossier_pauses
    ADD CONSTRAINT dossier_pauses_pkey PRIMARY KEY (id);


--
-- Name: dossiers dossiers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossiers
    ADD CONSTRAINT dossiers_pkey PRIMARY KEY (id);


--
-- Name: dossiers dossiers_receipt_no_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossiers
    ADD CONSTRAINT dossiers_receipt_no_key UNIQUE (receipt_no);


--
-- Name: federation_scope federation_scope_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.federation_scope
    ADD CONSTRAINT federation_scope_pkey PRIMARY KEY (one);


--
-- Name: federation_tables federation_tables_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.federation_tables
    ADD CONSTRAINT federation_tables_pkey PRIMARY KEY (table_name);


--
-- Name: geometry_checks geometry_checks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.geometry_checks
    ADD CONSTRAINT geometry_checks_pkey PRIMARY KEY (id);


--
-- Name: import_jobs import_jobs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.import_jobs
    ADD CONSTRAINT import_jobs_pkey PRIMARY KEY (id);


--
-- Name: issuing_authorities issuing_authorities_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issuing_authorities
    ADD CONSTRAINT issuing_authorities_pkey PRIMARY KEY (province_code, procedure_code, holder_kind);


--
-- Name: land_use_types land_use_types_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.land_use_types
    ADD CONSTRAINT land_use_types_pkey PRIMARY KEY (code);


--
-- Name: notices notices_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notices
    ADD CONSTRAINT notices_pkey PRIMARY KEY (id);


--
-- Name: online_submissions online_submissions_dossier_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.online_submissions
    ADD CONSTRAINT online_submissions_dossier_id_key UNIQUE (dossier_id);


--
-- Name: online_submissions online_submissions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.online_submissions
    ADD CONSTRAINT online_submissions_pkey PRIMARY KEY (id);


--
-- Name: online_submissions online_submissions_submission_no_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.online_submissions
    ADD CONSTRAINT online_submissions_submission_no_key UNIQUE (submission_no);


--
-- Name: parcel_land_uses parcel_land_uses_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.parcel_land_uses
    ADD CONSTRAINT parcel_land_uses_pkey PRIMARY KEY (parcel_version_id, land_use_code, province_code);


--
-- Name: parcel_versions parcel_versions_parcel_id_version_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.parcel_versions
    ADD CONSTRAINT parcel_versions_parcel_id_version_key UNIQUE (parcel_id, version, province_code);


--
-- Name: parcel_versions parcel_versions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.parcel_versions
    ADD CONSTRAINT parcel_versions_pkey PRIMARY KEY (id, province_code);


--
-- Name: parcels parcels_id_province_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.parcels
    ADD CONSTRAINT parcels_id_province_key UNIQUE (id, province_code);


--
-- Name: parcels parcels_national_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.parcels
    ADD CONSTRAINT parcels_national_id_key UNIQUE (national_id);


--
-- Name: parcels parcels_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.parcels
    ADD CONSTRAINT parcels_pkey PRIMARY KEY (id);


--
-- Name: parties parties_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.parties
    ADD CONSTRAINT parties_pkey PRIMARY KEY (id);


--
-- Name: party_members party_members_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.party_members
    ADD CONSTRAINT party_members_pkey PRIMARY KEY (party_id, seq);


--
-- Name: planning_plans planning_plans_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.planning_plans
    ADD CONSTRAINT planning_plans_pkey PRIMARY KEY (id);


--
-- Name: planning_zones planning_zones_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.planning_zones
    ADD CONSTRAINT planning_zones_pkey PRIMARY KEY (id);


--
-- Name: procedures procedures_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.procedures
    ADD CONSTRAINT procedures_pkey PRIMARY KEY (code);


--
-- Name: province_extents province_extents_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.province_extents
    ADD CONSTRAINT province_extents_pkey PRIMARY KEY (province_code);


--
-- Name: receipt_counters receipt_counters_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.receipt_counters
    ADD CONSTRAINT receipt_counters_pkey PRIMARY KEY (province_code, day);


--
-- Name: reference_documents reference_documents_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reference_documents
    ADD CONSTRAINT reference_documents_pkey PRIMARY KEY (name);


--
-- Name: registry_counters registry_counters_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.registry_counters
    ADD CONSTRAINT registry_counters_pkey PRIMARY KEY (province_code, year);


--
-- Name: restriction_blocks restriction_blocks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.restriction_blocks
    ADD CONSTRAINT restriction_blocks_pkey PRIMARY KEY (restriction_kind, procedure_code);


--
-- Name: restriction_consents restriction_consents_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.restriction_consents
    ADD CONSTRAINT restriction_consents_pkey PRIMARY KEY (rrr_id, dossier_id);


--
-- Name: rrr_changes rrr_changes_dossier_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rrr_changes
    ADD CONSTRAINT rrr_changes_dossier_id_key UNIQUE (dossier_id);


--
-- Name: rrr_changes rrr_changes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rrr_changes
    ADD CONSTRAINT rrr_changes_pkey PRIMARY KEY (id);


--
-- Name: rrr_shares rrr_shares_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rrr_shares
    ADD CONSTRAINT rrr_shares_pkey PRIMARY KEY (rrr_id, party_id);


--
-- Name: rrrs rrrs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rrrs
    ADD CONSTRAINT rrrs_pkey PRIMARY KEY (id);


--
-- Name: sign_in_failures sign_in_failures_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sign_in_failures
    ADD CONSTRAINT sign_in_failures_pkey PRIMARY KEY (id);


--
-- Name: signing_keys signing_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.signing_keys
    ADD CONSTRAINT signing_keys_pkey PRIMARY KEY (key_id);


--
-- Name: submission_files submission_files_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_files
    ADD CONSTRAINT submission_files_pkey PRIMARY KEY (id);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: users users_username_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_username_key UNIQUE (username);


--
-- Name: admin_unit_predecessors_predecessor; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX admin_unit_predecessors_predecessor ON public.admin_unit_predecessors USING btree (predecessor_id);


--
-- Name: admin_units_boundary; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX admin_units_boundary ON public.admin_units USING gist (boundary);


--
-- Name: admin_units_code; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX admin_units_code ON public.admin_units USING btree (code);


--
-- Name: admin_units_current_code; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX admin_units_current_code ON public.admin_units USING btree (level, code) WHERE (valid_to IS NULL);


--
-- Name: admin_units_parent; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX admin_units_parent ON public.admin_units USING btree (parent_id);


--
-- Name: api_tokens_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX api_tokens_user ON public.api_tokens USING btree (user_id);


--
-- Name: apology_letters_dossier; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX apology_letters_dossier ON public.apology_letters USING btree (dossier_id);


--
-- Name: apology_letters_once; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX apology_letters_once ON public.apology_letters USING btree (dossier_id);


--
-- Name: certificate_blanks_unused; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX certificate_blanks_unused ON public.certificate_blanks USING btree (province_code, serial) WHERE (status = 'unused'::text);


--
-- Name: certificates_one_valid_per_right; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX certificates_one_valid_per_right ON public.certificates USING btree (rrr_id) WHERE (status = 'valid'::text);


--
-- Name: dossier_events_dossier; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dossier_events_dossier ON public.dossier_events USING btree (dossier_id, at);


--
-- Name: dossier_obligations_dossier; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dossier_obligations_dossier ON public.dossier_obligations USING btree (dossier_id);


--
-- Name: dossier_obligations_one_unpaid; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX dossier_obligations_one_unpaid ON public.dossier_obligations USING btree (dossier_id) WHERE (paid_on IS NULL);


--
-- Name: dossier_parcels_parcel; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dossier_parcels_parcel ON public.dossier_parcels USING btree (parcel_id);


--
-- Name: dossier_pauses_dossier; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dossier_pauses_dossier ON public.dossier_pauses USING btree (dossier_id);


--
-- Name: dossiers_open; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dossiers_open ON public.dossiers USING btree (state) WHERE (state <> ALL (ARRAY['returned'::text, 'withdrawn'::text]));


--
-- Name: dossiers_state; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dossiers_state ON public.dossiers USING btree (province_code, state, due_on);


--
-- Name: geometry_checks_dossier; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX geometry_checks_dossier ON public.geometry_checks USING btree (dossier_id, checked_at);


--
-- Name: geometry_checks_parcel; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX geometry_checks_parcel ON public.geometry_checks USING btree (parcel_id);


--
-- Name: import_jobs_province; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX import_jobs_province ON public.import_jobs USING btree (province_code, id);


--
-- Name: notices_pending; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX notices_pending ON public.notices USING btree (id) WHERE (sent_at IS NULL);


--
-- Name: online_submissions_waiting; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX online_submissions_waiting ON public.online_submissions USING btree (province_code, submitted_at) WHERE (state = 'submitted'::text);


--
-- Name: parcel_versions_commune; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX parcel_versions_commune ON ONLY public.parcel_versions USING btree (commune_id) WHERE (valid_to IS NULL);


--
-- Name: parcel_versions_current_geom; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX parcel_versions_current_geom ON ONLY public.parcel_versions USING gist (geom) WHERE (valid_to IS NULL);


--
-- Name: parcel_versions_current_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX parcel_versions_current_key ON ONLY public.parcel_versions USING btree (registered_commune_id, sheet_no, parcel_no, province_code) WHERE (valid_to IS NULL);


--
-- Name: parcel_versions_geom; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX parcel_versions_geom ON ONLY public.parcel_versions USING gist (geom);


--
-- Name: parcel_versions_one_current; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX parcel_versions_one_current ON ONLY public.parcel_versions USING btree (parcel_id, province_code) WHERE (valid_to IS NULL);


--
-- Name: party_members_one_spouse; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX party_members_one_spouse ON public.party_members USING btree (party_id) WHERE (role = 'spouse'::text);


--
-- Name: planning_plans_one_approved; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX planning_plans_one_approved ON public.planning_plans USING btree (admin_unit_id, level) WHERE (status = 'approved'::text);


--
-- Name: planning_plans_unit; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX planning_plans_unit ON public.planning_plans USING btree (admin_unit_id, status);


--
-- Name: planning_zones_geom; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX planning_zones_geom ON public.planning_zones USING gist (geom);


--
-- Name: planning_zones_plan; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX planning_zones_plan ON public.planning_zones USING btree (plan_id);


--
-- Name: rrr_changes_parcel; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX rrr_changes_parcel ON public.rrr_changes USING btree (parcel_id, recorded_at);


--
-- Name: rrr_shares_party; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX rrr_shares_party ON public.rrr_shares USING btree (party_id);


--
-- Name: rrrs_one_current_use_right; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX rrrs_one_current_use_right ON public.rrrs USING btree (parcel_id) WHERE ((kind = 'use_right'::text) AND (valid_to IS NULL));


--
-- Name: rrrs_parcel; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX rrrs_parcel ON public.rrrs USING btree (parcel_id) WHERE (valid_to IS NULL);


--
-- Name: rrrs_registered_once; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX rrrs_registered_once ON public.rrrs USING btree (registered_dossier_id, parcel_id) WHERE ((registered_dossier_id IS NOT NULL) AND (carried_from_id IS NULL));


--
-- Name: sign_in_failures_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sign_in_failures_at ON public.sign_in_failures USING btree (at);


--
-- Name: sign_in_failures_client; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sign_in_failures_client ON public.sign_in_failures USING btree (client, at);


--
-- Name: sign_in_failures_username; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sign_in_failures_username ON public.sign_in_failures USING btree (username, at) WHERE counts_for_account;


--
-- Name: submission_files_submission; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submission_files_submission ON public.submission_files USING btree (submission_id);


--
-- Name: admin_units admin_units_province_partitions; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER admin_units_province_partitions AFTER INSERT ON public.admin_units FOR EACH STATEMENT EXECUTE FUNCTION public.province_partitions_on_new_units();


--
-- Name: audit_chain_head audit_chain_head_no_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE OR TRUNCATE ON public.audit_chain_head FOR EACH STATEMENT EXECUTE FUNCTION public.audit_log_append_only();


--
-- Name: audit_log audit_log_append_only; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER audit_log_append_only BEFORE DELETE OR UPDATE ON public.audit_log FOR EACH ROW EXECUTE FUNCTION public.audit_log_append_only();


--
-- Name: audit_log audit_log_chain; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER audit_log_chain BEFORE INSERT ON public.audit_log FOR EACH ROW EXECUTE FUNCTION public.audit_log_chain();


--
-- Name: audit_log audit_log_no_truncate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON public.audit_log FOR EACH STATEMENT EXECUTE FUNCTION public.audit_log_append_only();


--
-- Name: certificates certificates_not_blocked; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER certificates_not_blocked BEFORE INSERT ON public.certificates FOR EACH ROW WHEN ((new.dossier_id IS NOT NULL)) EXECUTE FUNCTION public.refuse_blocked_write();


--
-- Name: parcel_versions province_extents_cover; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER province_extents_cover AFTER INSERT OR UPDATE OF geom, province_code ON public.parcel_versions FOR EACH ROW EXECUTE FUNCTION public.province_extents_cover();

ALTER TABLE public.parcel_versions ENABLE ALWAYS TRIGGER province_extents_cover;


--
-- Name: rrrs restrictions_not_blocked; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER restrictions_not_blocked BEFORE INSERT ON public.rrrs FOR EACH ROW WHEN (((new.registered_dossier_id IS NOT NULL) AND (new.carried_from_id IS NULL))) EXECUTE FUNCTION public.refuse_blocked_write();


--
-- Name: rrrs rrrs_province; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER rrrs_province BEFORE INSERT OR UPDATE OF parcel_id ON public.rrrs FOR EACH ROW EXECUTE FUNCTION public.rrrs_province_from_parcel();


--
-- Name: admin_unit_predecessors admin_unit_predecessors_predecessor_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.admin_unit_predecessors
    ADD CONSTRAINT admin_unit_predecessors_predecessor_id_fkey FOREIGN KEY (predecessor_id) REFERENCES public.admin_units(id) ON DELETE CASCADE;


--
-- Name: admin_unit_predecessors admin_unit_predecessors_unit_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.admin_unit_predecessors
    ADD CONSTRAINT admin_unit_predecessors_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES public.admin_units(id) ON DELETE CASCADE;


--
-- Name: admin_units admin_units_parent_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.admin_units
    ADD CONSTRAINT admin_units_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES public.admin_units(id) ON DELETE RESTRICT;


--
-- Name: api_tokens api_tokens_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_tokens
    ADD CONSTRAINT api_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: apology_letters apology_letters_dossier_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.apology_letters
    ADD CONSTRAINT apology_letters_dossier_id_fkey FOREIGN KEY (dossier_id) REFERENCES public.dossiers(id) ON DELETE CASCADE;


--
-- Name: apology_letters apology_letters_issued_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.apology_letters
    ADD CONSTRAINT apology_letters_issued_by_fkey FOREIGN KEY (issued_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: audit_log audit_log_actor_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_log
    ADD CONSTRAINT audit_log_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: certificates certificates_dossier_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.certificates
    ADD CONSTRAINT certificates_dossier_id_fkey FOREIGN KEY (dossier_id) REFERENCES public.dossiers(id) ON DELETE RESTRICT;


--
-- Name: certificates certificates_key_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.certificates
    ADD CONSTRAINT certificates_key_id_fkey FOREIGN KEY (key_id) REFERENCES public.signing_keys(key_id) ON DELETE RESTRICT;


--
-- Name: certificates certificates_replaced_by_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.certificates
    ADD CONSTRAINT certificates_replaced_by_id_fkey FOREIGN KEY (replaced_by_id) REFERENCES public.certificates(id) ON DELETE RESTRICT DEFERRABLE;


--
-- Name: certificates certificates_rrr_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.certificates
    ADD CONSTRAINT certificates_rrr_id_fkey FOREIGN KEY (rrr_id) REFERENCES public.rrrs(id) ON DELETE RESTRICT;


--
-- Name: change_rules change_rules_procedure_code_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.change_rules
    ADD CONSTRAINT change_rules_procedure_code_fkey FOREIGN KEY (procedure_code) REFERENCES public.procedures(code) ON DELETE CASCADE;


--
-- Name: dossier_documents dossier_documents_dossier_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossier_documents
    ADD CONSTRAINT dossier_documents_dossier_id_fkey FOREIGN KEY (dossier_id) REFERENCES public.dossiers(id) ON DELETE CASCADE;


--
-- Name: dossier_events dossier_events_actor_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossier_events
    ADD CONSTRAINT dossier_events_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: dossier_events dossier_events_dossier_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossier_events
    ADD CONSTRAINT dossier_events_dossier_id_fkey FOREIGN KEY (dossier_id) REFERENCES public.dossiers(id) ON DELETE CASCADE;


--
-- Name: dossier_obligations dossier_obligations_dossier_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossier_obligations
    ADD CONSTRAINT dossier_obligations_dossier_id_fkey FOREIGN KEY (dossier_id) REFERENCES public.dossiers(id) ON DELETE CASCADE;


--
-- Name: dossier_obligations dossier_obligations_recorded_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossier_obligations
    ADD CONSTRAINT dossier_obligations_recorded_by_fkey FOREIGN KEY (recorded_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: dossier_parcels dossier_parcels_dossier_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossier_parcels
    ADD CONSTRAINT dossier_parcels_dossier_id_fkey FOREIGN KEY (dossier_id) REFERENCES public.dossiers(id) ON DELETE CASCADE;


--
-- Name: dossier_parcels dossier_parcels_parcel_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossier_parcels
    ADD CONSTRAINT dossier_parcels_parcel_id_fkey FOREIGN KEY (parcel_id) REFERENCES public.parcels(id) ON DELETE RESTRICT;


--
-- Name: dossier_pauses dossier_pauses_dossier_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossier_pauses
    ADD CONSTRAINT dossier_pauses_dossier_id_fkey FOREIGN KEY (dossier_id) REFERENCES public.dossiers(id) ON DELETE CASCADE;


--
-- Name: dossiers dossiers_applicant_party_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossiers
    ADD CONSTRAINT dossiers_applicant_party_id_fkey FOREIGN KEY (applicant_party_id) REFERENCES public.parties(id) ON DELETE RESTRICT;


--
-- Name: dossiers dossiers_commune_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossiers
    ADD CONSTRAINT dossiers_commune_id_fkey FOREIGN KEY (commune_id) REFERENCES public.admin_units(id) ON DELETE RESTRICT;


--
-- Name: dossiers dossiers_created_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossiers
    ADD CONSTRAINT dossiers_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: dossiers dossiers_procedure_code_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dossiers
    ADD CONSTRAINT dossiers_procedure_code_fkey FOREIGN KEY (procedure_code) REFERENCES public.procedures(code) ON DELETE RESTRICT;


--
-- Name: geometry_checks geometry_checks_dossier_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.geometry_checks
    ADD CONSTRAINT geometry_checks_dossier_id_fkey FOREIGN KEY (dossier_id) REFERENCES public.dossiers(id) ON DELETE CASCADE;


--
-- Name: geometry_checks geometry_checks_parcel_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.geometry_checks
    ADD CONSTRAINT geometry_checks_parcel_id_fkey FOREIGN KEY (parcel_id) REFERENCES public.parcels(id) ON DELETE RESTRICT;


--
-- Name: import_jobs import_jobs_commune_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.import_jobs
    ADD CONSTRAINT import_jobs_commune_id_fkey FOREIGN KEY (commune_id) REFERENCES public.admin_units(id) ON DELETE RESTRICT;


--
-- Name: import_jobs import_jobs_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.import_jobs
    ADD CONSTRAINT import_jobs_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: notices notices_dossier_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notices
    ADD CONSTRAINT notices_dossier_id_fkey FOREIGN KEY (dossier_id) REFERENCES public.dossiers(id) ON DELETE CASCADE;


--
-- Name: notices notices_submission_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notices
    ADD CONSTRAINT notices_submission_id_fkey FOREIGN KEY (submission_id) REFERENCES public.online_submissions(id) ON DELETE CASCADE;


--
-- Name: online_submissions online_submissions_commune_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.online_submissions
    ADD CONSTRAINT online_submissions_commune_id_fkey FOREIGN KEY (commune_id) REFERENCES public.admin_units(id) ON DELETE RESTRICT;


--
-- Name: online_submissions online_submissions_decided_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.online_submissions
    ADD CONSTRAINT online_submissions_decided_by_fkey FOREIGN KEY (decided_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: online_submissions online_submissions_dossier_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.online_submissions
    ADD CONSTRAINT online_submissions_dossier_id_fkey FOREIGN KEY (dossier_id) REFERENCES public.dossiers(id) ON DELETE RESTRICT;


--
-- Name: online_submissions online_submissions_parcel_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.online_submissions
    ADD CONSTRAINT online_submissions_parcel_id_fkey FOREIGN KEY (parcel_id) REFERENCES public.parcels(id) ON DELETE RESTRICT;


--
-- Name: online_submissions online_submissions_procedure_code_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.online_submissions
    ADD CONSTRAINT online_submissions_procedure_code_fkey FOREIGN KEY (procedure_code) REFERENCES public.procedures(code) ON DELETE RESTRICT;


--
-- Name: parcel_land_uses parcel_land_uses_land_use_code_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.parcel_land_uses
    ADD CONSTRAINT parcel_land_uses_land_use_code_fkey FOREIGN KEY (land_use_code) REFERENCES public.land_use_types(code) ON DELETE RESTRICT;


--
-- Name: parcel_land_uses parcel_land_uses_version_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.parcel_land_uses
    ADD CONSTRAINT parcel_land_uses_version_fkey FOREIGN KEY (parcel_version_id, province_code) REFERENCES public.parcel_versions(id, province_code) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: parcel_versions parcel_versions_commune_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.parcel_versions
    ADD CONSTRAINT parcel_versions_commune_id_fkey FOREIGN KEY (commune_id) REFERENCES public.admin_units(id) ON DELETE RESTRICT;


--
-- Name: parcel_versions parcel_versions_parcel_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.parcel_versions
    ADD CONSTRAINT parcel_versions_parcel_fkey FOREIGN KEY (parcel_id, province_code) REFERENCES public.parcels(id, province_code) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: parcel_versions parcel_versions_registered_commune_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.parcel_versions
    ADD CONSTRAINT parcel_versions_registered_commune_id_fkey FOREIGN KEY (registered_commune_id) REFERENCES public.admin_units(id) ON DELETE RESTRICT;


--
-- Name: party_members party_members_party_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.party_members
    ADD CONSTRAINT party_members_party_id_fkey FOREIGN KEY (party_id) REFERENCES public.parties(id) ON DELETE RESTRICT;


--
-- Name: planning_plans planning_plans_admin_unit_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.planning_plans
    ADD CONSTRAINT planning_plans_admin_unit_id_fkey FOREIGN KEY (admin_unit_id) REFERENCES public.admin_units(id) ON DELETE RESTRICT;


--
-- Name: planning_zones planning_zones_land_use_code_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.planning_zones
    ADD CONSTRAINT planning_zones_land_use_code_fkey FOREIGN KEY (land_use_code) REFERENCES public.land_use_types(code) ON DELETE RESTRICT;


--
-- Name: planning_zones planning_zones_plan_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.planning_zones
    ADD CONSTRAINT planning_zones_plan_id_fkey FOREIGN KEY (plan_id) REFERENCES public.planning_plans(id) ON DELETE CASCADE;


--
-- Name: restriction_consents restriction_consents_dossier_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.restriction_consents
    ADD CONSTRAINT restriction_consents_dossier_id_fkey FOREIGN KEY (dossier_id) REFERENCES public.dossiers(id) ON DELETE RESTRICT;


--
-- Name: restriction_consents restriction_consents_recorded_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.restriction_consents
    ADD CONSTRAINT restriction_consents_recorded_by_fkey FOREIGN KEY (recorded_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: restriction_consents restriction_consents_rrr_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.restriction_consents
    ADD CONSTRAINT restriction_consents_rrr_id_fkey FOREIGN KEY (rrr_id) REFERENCES public.rrrs(id) ON DELETE RESTRICT;


--
-- Name: rrr_changes rrr_changes_certificate_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rrr_changes
    ADD CONSTRAINT rrr_changes_certificate_id_fkey FOREIGN KEY (certificate_id) REFERENCES public.certificates(id) ON DELETE RESTRICT;


--
-- Name: rrr_changes rrr_changes_dossier_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rrr_changes
    ADD CONSTRAINT rrr_changes_dossier_id_fkey FOREIGN KEY (dossier_id) REFERENCES public.dossiers(id) ON DELETE RESTRICT;


--
-- Name: rrr_changes rrr_changes_from_rrr_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rrr_changes
    ADD CONSTRAINT rrr_changes_from_rrr_id_fkey FOREIGN KEY (from_rrr_id) REFERENCES public.rrrs(id) ON DELETE RESTRICT;


--
-- Name: rrr_changes rrr_changes_parcel_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rrr_changes
    ADD CONSTRAINT rrr_changes_parcel_id_fkey FOREIGN KEY (parcel_id) REFERENCES public.parcels(id) ON DELETE RESTRICT;


--
-- Name: rrr_changes rrr_changes_recorded_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rrr_changes
    ADD CONSTRAINT rrr_changes_recorded_by_fkey FOREIGN KEY (recorded_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: rrr_changes rrr_changes_replaced_certificate_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rrr_changes
    ADD CONSTRAINT rrr_changes_replaced_certificate_id_fkey FOREIGN KEY (replaced_certificate_id) REFERENCES public.certificates(id) ON DELETE RESTRICT;


--
-- Name: rrr_changes rrr_changes_to_rrr_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rrr_changes
    ADD CONSTRAINT rrr_changes_to_rrr_id_fkey FOREIGN KEY (to_rrr_id) REFERENCES public.rrrs(id) ON DELETE RESTRICT;


--
-- Name: rrr_shares rrr_shares_party_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rrr_shares
    ADD CONSTRAINT rrr_shares_party_id_fkey FOREIGN KEY (party_id) REFERENCES public.parties(id) ON DELETE RESTRICT;


--
-- Name: rrr_shares rrr_shares_rrr_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rrr_shares
    ADD CONSTRAINT rrr_shares_rrr_id_fkey FOREIGN KEY (rrr_id) REFERENCES public.rrrs(id) ON DELETE CASCADE;


--
-- Name: rrrs rrrs_carried_from_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rrrs
    ADD CONSTRAINT rrrs_carried_from_id_fkey FOREIGN KEY (carried_from_id) REFERENCES public.rrrs(id) ON DELETE RESTRICT;


--
-- Name: rrrs rrrs_parcel_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rrrs
    ADD CONSTRAINT rrrs_parcel_id_fkey FOREIGN KEY (parcel_id) REFERENCES public.parcels(id) ON DELETE RESTRICT;


--
-- Name: rrrs rrrs_parcel_version_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rrrs
    ADD CONSTRAINT rrrs_parcel_version_fkey FOREIGN KEY (parcel_version_id, province_code) REFERENCES public.parcel_versions(id, province_code) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: rrrs rrrs_registered_dossier_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rrrs
    ADD CONSTRAINT rrrs_registered_dossier_id_fkey FOREIGN KEY (registered_dossier_id) REFERENCES public.dossiers(id) ON DELETE RESTRICT;


--
-- Name: rrrs rrrs_released_dossier_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rrrs
    ADD CONSTRAINT rrrs_released_dossier_id_fkey FOREIGN KEY (released_dossier_id) REFERENCES public.dossiers(id) ON DELETE RESTRICT;


--
-- Name: submission_files submission_files_submission_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_files
    ADD CONSTRAINT submission_files_submission_id_fkey FOREIGN KEY (submission_id) REFERENCES public.online_submissions(id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--


