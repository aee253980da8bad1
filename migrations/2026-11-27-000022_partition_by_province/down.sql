-- Back to one table each for versions and land uses (migration 000002's layout), rows and all
-- (the federation guards on the partitioned tables go with them; re-installed at the end).

DROP FUNCTION province_partitions_attach(text);
DROP FUNCTION province_partitions_detach(text);
DROP TRIGGER admin_units_province_partitions ON admin_units;
DROP FUNCTION province_partitions_on_new_units();
DROP FUNCTION province_partitions_ensure();
DROP FUNCTION province_partition_create(text);

ALTER TABLE rrrs DROP CONSTRAINT rrrs_parcel_version_fkey;
DROP TRIGGER rrrs_province ON rrrs;
DROP FUNCTION rrrs_province_from_parcel();
ALTER TABLE rrrs DROP COLUMN province_code;

ALTER TABLE parcel_land_uses DROP CONSTRAINT parcel_land_uses_version_fkey;
ALTER TABLE parcel_land_uses DROP CONSTRAINT parcel_land_uses_pkey;
ALTER TABLE parcel_versions DROP CONSTRAINT parcel_versions_pkey;
ALTER TABLE parcel_versions DROP CONSTRAINT parcel_versions_parcel_id_version_key;
DROP INDEX parcel_versions_one_current, parcel_versions_current_key, parcel_versions_current_geom,
           parcel_versions_geom, parcel_versions_commune;
ALTER SEQUENCE parcel_versions_id_seq OWNED BY NONE;
ALTER TABLE parcel_versions RENAME TO parcel_versions_partitioned;
ALTER TABLE parcel_land_uses RENAME TO parcel_land_uses_partitioned;

CREATE TABLE parcel_versions (
    id                    bigint NOT NULL DEFAULT nextval('parcel_versions_id_seq') CONSTRAINT parcel_versions_pkey PRIMARY KEY,
    parcel_id             bigint NOT NULL
                          CONSTRAINT parcel_versions_parcel_id_fkey REFERENCES parcels (id) ON DELETE RESTRICT,
    version               integer NOT NULL CONSTRAINT parcel_versions_version_check CHECK (version > 0),
    -- Commune the parcel lies in today.
    commune_id            integer NOT NULL
                          CONSTRAINT parcel_versions_commune_id_fkey REFERENCES admin_units (id) ON DELETE RESTRICT,
    -- Commune under which sheet/parcel numbers were assigned: a pre-2025 commune for parcels
    -- registered before the reorganisation (the legacy key), otherwise the same as commune_id.
    registered_commune_id integer NOT NULL
                          CONSTRAINT parcel_versions_registered_commune_id_fkey REFERENCES admin_units (id) ON DELETE RESTRICT,
    sheet_no              integer NOT NULL CONSTRAINT parcel_versions_sheet_no_check CHECK (sheet_no > 0),
    parcel_no             integer NOT NULL CONSTRAINT parcel_versions_parcel_no_check CHECK (parcel_no > 0),
    geom                  geometry(MultiPolygon, 4326) NOT NULL
                          CONSTRAINT parcel_versions_geom_check CHECK (NOT ST_IsEmpty(geom)),
    -- The CRS the geometry was surveyed and submitted in (EPSG code), kept per record because the
    -- central meridian of a merged province is not settled.
    source_crs_epsg       integer NOT NULL,
    -- Diện tích pháp lý: computed in the VN-2000 projected plane, 1 decimal as printed.
    legal_area_m2         numeric(14, 1) NOT NULL
                          CONSTRAINT parcel_versions_legal_area_m2_check CHECK (legal_area_m2 > 0),
    address               text,
    valid_from            timestamptz NOT NULL DEFAULT now(),
    valid_to              timestamptz,
    change_reason         text NOT NULL,
    -- Generated sample or benchmark geometry, never a survey.
    is_synthetic          boolean NOT NULL DEFAULT false,
    CONSTRAINT parcel_versions_parcel_id_version_key UNIQUE (parcel_id, version),
    CONSTRAINT parcel_versions_check CHECK (valid_to IS NULL OR valid_to > valid_from)
);
ALTER SEQUENCE parcel_versions_id_seq OWNED BY parcel_versions.id;
INSERT INTO parcel_versions (id, parcel_id, version, commune_id, registered_commune_id, sheet_no, parcel_no, geom,
                             source_crs_epsg, legal_area_m2, address, valid_from, valid_to, change_reason, is_synthetic)
SELECT id, parcel_id, version, commune_id, registered_commune_id, sheet_no, parcel_no, geom,
       source_crs_epsg, legal_area_m2, address, valid_from, valid_to, change_reason, is_synthetic
  FROM parcel_versions_partitioned;
CREATE UNIQUE INDEX parcel_versions_one_current ON parcel_versions (parcel_id) WHERE valid_to IS NULL;
CREATE UNIQUE INDEX parcel_versions_current_key
    ON parcel_versions (registered_commune_id, sheet_no, parcel_no) WHERE valid_to IS NULL;
CREATE INDEX parcel_versions_current_geom ON parcel_versions USING gist (geom) WHERE valid_to IS NULL;
CREATE INDEX parcel_versions_geom ON parcel_versions USING gist (geom);
CREATE INDEX parcel_versions_commune ON parcel_versions (commune_id) WHERE valid_to IS NULL;

CREATE TABLE parcel_land_uses (
    parcel_version_id bigint NOT NULL
                      CONSTRAINT parcel_land_uses_parcel_version_id_fkey REFERENCES parcel_versions (id) ON DELETE CASCADE,
    land_use_code     text NOT NULL
                      CONSTRAINT parcel_land_uses_land_use_code_fkey REFERENCES land_use_types (code) ON DELETE RESTRICT,
    area_m2           numeric(14, 1) NOT NULL CONSTRAINT parcel_land_uses_area_m2_check CHECK (area_m2 > 0),
    -- Thời hạn sử dụng: NULL = lâu dài (long-term).
    use_until         date,
    -- Nguồn gốc sử dụng, free text until the origin code list is confirmed.
    origin            text,
    CONSTRAINT parcel_land_uses_pkey PRIMARY KEY (parcel_version_id, land_use_code)
);
INSERT INTO parcel_land_uses (parcel_version_id, land_use_code, area_m2, use_until, origin)
SELECT parcel_version_id, land_use_code, area_m2, use_until, origin FROM parcel_land_uses_partitioned;

ALTER TABLE rrrs ADD CONSTRAINT rrrs_parcel_version_id_fkey FOREIGN KEY (parcel_version_id)
    REFERENCES parcel_versions (id) ON DELETE RESTRICT;

DO $$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT n.new_name, a.privilege_type,
                    CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS grantee
               FROM (VALUES ('parcel_versions_partitioned', 'parcel_versions'),
                            ('parcel_land_uses_partitioned', 'parcel_land_uses')) AS n(old_name, new_name)
               JOIN pg_class c ON c.oid = to_regclass(n.old_name)
               CROSS JOIN LATERAL aclexplode(c.relacl) a
               LEFT JOIN pg_roles r ON r.oid = a.grantee
              WHERE a.grantee <> c.relowner LOOP
        EXECUTE format('GRANT %s ON %I TO %s', g.privilege_type, g.new_name, g.grantee);
    END LOOP;
END $$;

DROP TABLE parcel_land_uses_partitioned;
DROP TABLE parcel_versions_partitioned;
ALTER TABLE parcels DROP CONSTRAINT parcels_id_province_key;

UPDATE federation_tables SET province_key = 'commune_id' WHERE table_name = 'parcel_versions';

-- The definitions of migrations 000018 and 000021.
CREATE OR REPLACE FUNCTION parcel_public(text, text, text[]) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
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
                                 FROM parcel_land_uses lu WHERE lu.parcel_version_id = v.id),
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
        JOIN parcels p ON p.id = v.parcel_id
        JOIN admin_units c ON c.id = v.commune_id
        JOIN admin_units rc ON rc.id = v.registered_commune_id
       WHERE p.national_id = $1 AND v.valid_to IS NULL
  );
END
$$;

CREATE OR REPLACE FUNCTION parcels_page(float8, float8, float8, float8, bigint, bigint, bigint)
RETURNS TABLE (feature text, matched bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
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
                               FROM parcel_land_uses lu WHERE lu.parcel_version_id = v.id),
               'geometry', ST_AsGeoJSON(v.geom, 8)::json)::text,
             NULL::bigint
        FROM parcel_versions v
        JOIN parcels p ON p.id = v.parcel_id
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
                               FROM parcel_land_uses lu WHERE lu.parcel_version_id = v.id),
               'geometry', ST_AsGeoJSON(v.geom, 8)::json)::text,
             NULL::bigint
        FROM parcel_versions v
        JOIN parcels p ON p.id = v.parcel_id
        JOIN admin_units c ON c.id = v.commune_id
        JOIN admin_units rc ON rc.id = v.registered_commune_id
       WHERE v.valid_to IS NULL
         AND ST_Intersects(v.geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))
         AND v.parcel_id > $5 AND p.id > $5
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
        SELECT count(*) FROM (SELECT 1 FROM parcel_versions v
                               WHERE v.valid_to IS NULL AND ST_Intersects(v.geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))
                               LIMIT $7 + 1) AS hits
    );
  END IF;
  IF matched > $7 THEN
    matched := NULL;
  END IF;
  RETURN NEXT;
END
$$;

CREATE OR REPLACE FUNCTION parcel_tile(integer, integer, integer, text[])
RETURNS TABLE (stamp_n bigint, stamp_changed timestamptz, mvt bytea)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
  SELECT s.n, s.changed INTO stamp_n, stamp_changed FROM (
      WITH bounds AS (
          SELECT ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326) AS env4326
      )
      SELECT count(*) AS n,
             coalesce(max(greatest(v.valid_from, v.valid_to)), 'epoch'::timestamptz) AS changed
        FROM bounds JOIN parcel_versions v ON v.geom && bounds.env4326
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
                 (SELECT lu.land_use_code FROM parcel_land_uses lu WHERE lu.parcel_version_id = v.id
                   ORDER BY lu.area_m2 DESC, lu.land_use_code LIMIT 1) AS land_use,
                 CASE WHEN $1 >= 16 THEN c.code END AS commune,
                 CASE WHEN $1 >= 16 THEN v.sheet_no END AS sheet,
                 CASE WHEN $1 >= 16 THEN v.parcel_no END AS parcel,
                 CASE WHEN $1 >= 17 THEN v.legal_area_m2::float8 END AS area_m2,
                 ST_AsMVTGeom(ST_Transform(v.geom, 3857), bounds.env, 4096, 64, true) AS geom
            FROM bounds
            JOIN parcel_versions v ON v.geom && bounds.env4326 AND v.valid_to IS NULL
            JOIN parcels p ON p.id = v.parcel_id
            JOIN admin_units c ON c.id = v.commune_id
      )
      SELECT ST_AsMVT(features, 'parcels', 4096, 'geom', 'fid') AS tile FROM features WHERE geom IS NOT NULL
    ) AS t;
  END IF;
  RETURN NEXT;
END
$$;

-- The definitions of migration 000020.
CREATE OR REPLACE FUNCTION federation_install_guards() RETURNS void LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION federation_publish(p_login text, p_password text) RETURNS text[] LANGUAGE plpgsql AS $$
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

DO $$
DECLARE
    scope federation_scope%ROWTYPE;
BEGIN
    SELECT * INTO STRICT scope FROM federation_scope;
    IF scope.mode <> 'standalone' THEN
        PERFORM federation_install_guards();
    END IF;
    IF scope.mode = 'province' AND EXISTS (SELECT FROM pg_publication WHERE pubname = 'diachinh_' || scope.province_code) THEN
        PERFORM federation_publish(NULL, NULL);
        EXECUTE format('ALTER PUBLICATION %I SET (publish_via_partition_root = false)', 'diachinh_' || scope.province_code);
    END IF;
END $$;
