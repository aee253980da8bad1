-- Parcel versions and their land uses partitioned by province (issue 15 item 5,
-- docs/FEDERATION.md "Partitioning"): one partition per province (`parcel_versions_p92`,
-- `parcel_land_uses_p92`), so that a province's rows can be detached, attached, moved and
-- vacuumed on their own, and so that the distribution column of a sharded PostgreSQL (Citus)
-- is already in every key.
--
-- PostgreSQL requires every unique index of a partitioned table to contain the partition key,
-- so the keys gain `province_code`. They keep their meaning: a version's province is its
-- parcel's (the composite foreign key below makes the database say so), a parcel never
-- changes province except by the merger re-keying of docs/FEDERATION.md (which moves all its
-- versions with it, ON UPDATE CASCADE), and a commune lies in one province (a pre-2025
-- commune under which numbers were registered too: its parcels all went to one new province). So
--   one current version per parcel            (parcel_id)                        = (parcel_id, province_code)
--   one current parcel per commune and number (registered_commune_id, sheet, no) = (…, province_code)
--   one version number per parcel             (parcel_id, version)               = (…, province_code)
--   a version's id                            (id, from its sequence)            = (id, province_code)
-- The id comes first in the primary key (and the parcel first in the others): inside one
-- partition province_code is a constant, so leading with it would only make every lookup by
-- id or parcel that does not know the province (the rights' version, a copy of a version)
-- scan the index instead of descending it.
--
-- A row of a province without a partition is refused ("no partition of relation … found for
-- row"): there is no catch-all. Partitions are made by province_partitions_ensure(), run here
-- for the provinces already present and by a trigger whenever province rows are added to
-- admin_units (`diachinh seed`, a national node's reference data).
--
-- Rights (`rrrs`) stay one table; they name the province of their version too (filled by a
-- trigger from the parcel, so no insert of theirs changes) and refer to the version by
-- (parcel_version_id, province_code).
--
-- Existing rows are moved: the old tables are renamed, the new ones made, the rows copied,
-- the old tables dropped. The id sequence, the grants and the checks carry over.

-- (id, province_code) of a parcel is a key, so that a version can name both.
ALTER TABLE parcels ADD CONSTRAINT parcels_id_province_key UNIQUE (id, province_code);

-- The old tables, out of the way (their index and key names are taken back below).
ALTER TABLE rrrs DROP CONSTRAINT rrrs_parcel_version_id_fkey;
ALTER TABLE parcel_land_uses DROP CONSTRAINT parcel_land_uses_parcel_version_id_fkey;
ALTER TABLE parcel_land_uses DROP CONSTRAINT parcel_land_uses_pkey;
ALTER TABLE parcel_versions DROP CONSTRAINT parcel_versions_pkey;
ALTER TABLE parcel_versions DROP CONSTRAINT parcel_versions_parcel_id_version_key;
DROP INDEX parcel_versions_one_current, parcel_versions_current_key, parcel_versions_current_geom,
           parcel_versions_geom, parcel_versions_commune;
ALTER SEQUENCE parcel_versions_id_seq OWNED BY NONE;
ALTER TABLE parcel_versions RENAME TO parcel_versions_unpartitioned;
ALTER TABLE parcel_land_uses RENAME TO parcel_land_uses_unpartitioned;

CREATE TABLE parcel_versions (
    id                    bigint NOT NULL DEFAULT nextval('parcel_versions_id_seq'),
    parcel_id             bigint NOT NULL,
    version               integer NOT NULL CONSTRAINT parcel_versions_version_check CHECK (version > 0),
    -- Commune the parcel lies in today.
    commune_id            integer NOT NULL,
    -- Commune under which sheet/parcel numbers were assigned: a pre-2025 commune for parcels
    -- registered before the reorganisation (the legacy key), otherwise the same as commune_id.
    registered_commune_id integer NOT NULL,
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
    -- The parcel's province (the partition key): every insert names it.
    province_code         text NOT NULL
                          CONSTRAINT parcel_versions_province_code_check CHECK (province_code ~ '^[0-9]{2}$'),
    CONSTRAINT parcel_versions_pkey PRIMARY KEY (id, province_code),
    CONSTRAINT parcel_versions_parcel_id_version_key UNIQUE (parcel_id, version, province_code),
    CONSTRAINT parcel_versions_check CHECK (valid_to IS NULL OR valid_to > valid_from)
) PARTITION BY LIST (province_code);
ALTER SEQUENCE parcel_versions_id_seq OWNED BY parcel_versions.id;
CREATE UNIQUE INDEX parcel_versions_one_current ON parcel_versions (parcel_id, province_code) WHERE valid_to IS NULL;
CREATE UNIQUE INDEX parcel_versions_current_key
    ON parcel_versions (registered_commune_id, sheet_no, parcel_no, province_code) WHERE valid_to IS NULL;
CREATE INDEX parcel_versions_current_geom ON parcel_versions USING gist (geom) WHERE valid_to IS NULL;
CREATE INDEX parcel_versions_geom ON parcel_versions USING gist (geom);
CREATE INDEX parcel_versions_commune ON parcel_versions (commune_id) WHERE valid_to IS NULL;

-- Mục đích sử dụng: land-use purposes of a parcel version with the area of each; in the
-- partition of their version's province.
CREATE TABLE parcel_land_uses (
    parcel_version_id bigint NOT NULL,
    land_use_code     text NOT NULL,
    area_m2           numeric(14, 1) NOT NULL CONSTRAINT parcel_land_uses_area_m2_check CHECK (area_m2 > 0),
    -- Thời hạn sử dụng: NULL = lâu dài (long-term).
    use_until         date,
    -- Nguồn gốc sử dụng, free text until the origin code list is confirmed.
    origin            text,
    -- The version's province (the partition key): every insert names it.
    province_code     text NOT NULL,
    CONSTRAINT parcel_land_uses_pkey PRIMARY KEY (parcel_version_id, land_use_code, province_code)
) PARTITION BY LIST (province_code);

-- One province's partitions of both tables (made if missing; a detached partition of that name
-- is left alone: attach it back). Their indexes get names after the parent's
-- (parcel_versions_p92_one_current), so that plans and dumps read the same in every database.
-- SECURITY DEFINER: the admin_units trigger may fire for any writer of reference data, and
-- only the owner may add partitions.
CREATE FUNCTION province_partition_create(p_code text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
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
END $$;

-- Partitions for every province of admin_units (in force or not: a retired province's rows
-- stay in its own partition until re-keyed); on a federation node, its guards on them too.
-- Returns the provinces whose partitions it made.
CREATE FUNCTION province_partitions_ensure() RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
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

CREATE FUNCTION province_partitions_on_new_units() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    PERFORM province_partitions_ensure();
    RETURN NULL;
END $$;
CREATE TRIGGER admin_units_province_partitions AFTER INSERT ON admin_units
    FOR EACH STATEMENT EXECUTE FUNCTION province_partitions_on_new_units();

SELECT province_partitions_ensure();
-- Rows of a province that admin_units does not (or no longer) list still get their partition,
-- rather than failing the migration.
SELECT province_partition_create(code)
  FROM (SELECT DISTINCT province_code AS code FROM parcels) AS present
 WHERE to_regclass('parcel_versions_p' || code) IS NULL;

-- The rows, with their parcel's province.
INSERT INTO parcel_versions (id, parcel_id, version, commune_id, registered_commune_id, sheet_no, parcel_no, geom,
                             source_crs_epsg, legal_area_m2, address, valid_from, valid_to, change_reason,
                             is_synthetic, province_code)
SELECT v.id, v.parcel_id, v.version, v.commune_id, v.registered_commune_id, v.sheet_no, v.parcel_no, v.geom,
       v.source_crs_epsg, v.legal_area_m2, v.address, v.valid_from, v.valid_to, v.change_reason,
       v.is_synthetic, p.province_code
  FROM parcel_versions_unpartitioned v JOIN parcels p ON p.id = v.parcel_id;
INSERT INTO parcel_land_uses (parcel_version_id, land_use_code, area_m2, use_until, origin, province_code)
SELECT lu.parcel_version_id, lu.land_use_code, lu.area_m2, lu.use_until, lu.origin, p.province_code
  FROM parcel_land_uses_unpartitioned lu
  JOIN parcel_versions_unpartitioned v ON v.id = lu.parcel_version_id
  JOIN parcels p ON p.id = v.parcel_id;

-- References, checked once over the copied rows. ON UPDATE CASCADE: re-keying a parcel's
-- province (a merger) carries its versions, their land uses and its rights along, each into
-- its new partition.
ALTER TABLE parcel_versions
    ADD CONSTRAINT parcel_versions_parcel_fkey FOREIGN KEY (parcel_id, province_code)
        REFERENCES parcels (id, province_code) ON DELETE RESTRICT ON UPDATE CASCADE,
    ADD CONSTRAINT parcel_versions_commune_id_fkey FOREIGN KEY (commune_id)
        REFERENCES admin_units (id) ON DELETE RESTRICT,
    ADD CONSTRAINT parcel_versions_registered_commune_id_fkey FOREIGN KEY (registered_commune_id)
        REFERENCES admin_units (id) ON DELETE RESTRICT;
ALTER TABLE parcel_land_uses
    ADD CONSTRAINT parcel_land_uses_version_fkey FOREIGN KEY (parcel_version_id, province_code)
        REFERENCES parcel_versions (id, province_code) ON DELETE CASCADE ON UPDATE CASCADE,
    ADD CONSTRAINT parcel_land_uses_land_use_code_fkey FOREIGN KEY (land_use_code)
        REFERENCES land_use_types (code) ON DELETE RESTRICT;

-- Rights name their version's province: filled from the parcel before the row is written
-- (rights are not partitioned, so a BEFORE trigger may set it), checked by the key.
ALTER TABLE rrrs ADD COLUMN province_code text;
UPDATE rrrs r SET province_code = p.province_code FROM parcels p WHERE p.id = r.parcel_id;
ALTER TABLE rrrs ALTER COLUMN province_code SET NOT NULL;
CREATE FUNCTION rrrs_province_from_parcel() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.province_code := (SELECT p.province_code FROM parcels p WHERE p.id = NEW.parcel_id);
    RETURN NEW;
END $$;
CREATE TRIGGER rrrs_province BEFORE INSERT OR UPDATE OF parcel_id ON rrrs
    FOR EACH ROW EXECUTE FUNCTION rrrs_province_from_parcel();
ALTER TABLE rrrs ADD CONSTRAINT rrrs_parcel_version_fkey FOREIGN KEY (parcel_version_id, province_code)
    REFERENCES parcel_versions (id, province_code) ON DELETE RESTRICT ON UPDATE CASCADE;

-- Whoever could use the old tables can use the new ones (the service's rights are granted
-- again by sql/grants.sql after every migration run; this keeps any other grant, such as a
-- federation login's SELECT).
DO $$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT n.new_name, a.privilege_type,
                    CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS grantee
               FROM (VALUES ('parcel_versions_unpartitioned', 'parcel_versions'),
                            ('parcel_land_uses_unpartitioned', 'parcel_land_uses')) AS n(old_name, new_name)
               JOIN pg_class c ON c.oid = to_regclass(n.old_name)
               CROSS JOIN LATERAL aclexplode(c.relacl) a
               LEFT JOIN pg_roles r ON r.oid = a.grantee
              WHERE a.grantee <> c.relowner LOOP
        EXECUTE format('GRANT %s ON %I TO %s', g.privilege_type, g.new_name, g.grantee);
    END LOOP;
END $$;

DROP TABLE parcel_land_uses_unpartitioned;
DROP TABLE parcel_versions_unpartitioned;

-- Detaching and attaching a province (docs/FEDERATION.md, "Partitioning"), in one transaction,
-- run by the owner. The rows that refer to a province's versions stop a plain DETACH of its
-- versions' partition (PostgreSQL refuses to orphan them), so:
--   detach: the land uses' partition first, its reference to the versions dropped (the table
--     keeps its rows, indexes and name); then the versions' partition; the rights' reference to
--     versions, which cannot skip one province, is made again NOT VALID: it checks every new
--     right, and the detached province's rights keep their version ids unchecked meanwhile.
--     That province's parcels then have no version here: its public reads answer 404, its
--     tiles are empty, and a write of its parcels fails for want of a partition.
--   attach: both partitions back (each scanned once against its province; the land uses'
--     reference is checked again as it is attached), then the rights' reference validated,
--     unless another province is still detached (a notice says so).
CREATE FUNCTION province_partitions_detach(p_code text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
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

CREATE FUNCTION province_partitions_attach(p_code text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
    IF p_code IS NULL OR p_code !~ '^[0-9]{2}$' THEN
        RAISE EXCEPTION 'a province code has two digits (got %)', p_code;
    END IF;
    EXECUTE format('ALTER TABLE parcel_versions ATTACH PARTITION %I FOR VALUES IN (%L)', 'parcel_versions_p' || p_code, p_code);
    EXECUTE format('ALTER TABLE parcel_land_uses ATTACH PARTITION %I FOR VALUES IN (%L)', 'parcel_land_uses_p' || p_code, p_code);
    BEGIN
        ALTER TABLE rrrs VALIDATE CONSTRAINT rrrs_parcel_version_fkey;
    EXCEPTION WHEN foreign_key_violation THEN
        RAISE NOTICE 'rights of a province still detached refer to its versions: rrrs_parcel_version_fkey stays NOT VALID until it is attached';
    END;
END $$;

-- The public reads name the province wherever they pair a version with its parcel or its land
-- uses (a version's province is its parcel's and its land uses', so no answer changes): a
-- parcel looked up by its national id then probes one partition of versions instead of every
-- province's, and each version's land uses one partition. A bbox page or a tile starts from the
-- versions' GiST indexes, partition by partition, as before. Bodies as in crates/store/src/sql/
-- (parcel_public.sql, parcel_page_current.sql, parcel_page_current_bbox.sql, tiles_parcels.sql).
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
        FROM parcel_versions v
        JOIN parcels p ON p.id = v.parcel_id AND p.province_code = v.province_code
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
                 (SELECT lu.land_use_code FROM parcel_land_uses lu WHERE lu.parcel_version_id = v.id AND lu.province_code = v.province_code
                   ORDER BY lu.area_m2 DESC, lu.land_use_code LIMIT 1) AS land_use,
                 CASE WHEN $1 >= 16 THEN c.code END AS commune,
                 CASE WHEN $1 >= 16 THEN v.sheet_no END AS sheet,
                 CASE WHEN $1 >= 16 THEN v.parcel_no END AS parcel,
                 CASE WHEN $1 >= 17 THEN v.legal_area_m2::float8 END AS area_m2,
                 ST_AsMVTGeom(ST_Transform(v.geom, 3857), bounds.env, 4096, 64, true) AS geom
            FROM bounds
            JOIN parcel_versions v ON v.geom && bounds.env4326 AND v.valid_to IS NULL
            JOIN parcels p ON p.id = v.parcel_id AND p.province_code = v.province_code
            JOIN admin_units c ON c.id = v.commune_id
      )
      SELECT ST_AsMVT(features, 'parcels', 4096, 'geom', 'fid') AS tile FROM features WHERE geom IS NOT NULL
    ) AS t;
  END IF;
  RETURN NEXT;
END
$$;

-- Federation: a version's province is now its own column.
UPDATE federation_tables SET province_key = 'province_code' WHERE table_name = 'parcel_versions';

-- As in migration 000020, and the partitions of a register table get the national read-only
-- guard too: a write naming a partition does not fire its root's statement triggers. (The
-- province guard is a row trigger: PostgreSQL clones it onto every partition, present and
-- future, and enabling or disabling it on the root recurses.)
CREATE OR REPLACE FUNCTION federation_install_guards() RETURNS void LANGUAGE plpgsql AS $$
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

-- As in migration 000020, publishing partitioned tables through their root
-- (publish_via_partition_root): the national node receives `parcel_versions` rows, not
-- `parcel_versions_p92` rows, and routes them into its own partitions (made there by its own
-- admin_units), so the two sides need not partition alike.
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

-- A node migrated in place: the guards on the new tables, and the publication made again
-- (the old tables left it when they were dropped). Its subscribers must then refresh:
-- docs/FEDERATION.md.
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
    END IF;
END $$;
