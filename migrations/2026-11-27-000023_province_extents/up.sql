-- Public reads that start from a place — a bbox page, a tile, the certificate check's
-- neighbours — start from the provinces whose land can lie there and read each one's versions
-- in a sub-select with the province as a parameter, so PostgreSQL prunes each scan to one
-- partition of parcel_versions (run-time pruning) instead of probing all 34 GiST indexes.
-- (`province_code = ANY (ARRAY(SELECT …))` does not prune: the planner prunes by arrays only
-- when they are constants.) Measured on the 1,000,000-parcel register, one 200 m page:
-- 10.3 ms → 0.6 ms in EXPLAIN ANALYZE.
--
-- province_extents: per province, a box (WGS 84 degrees) that holds every version's geometry
-- ever written there, rounded outward to 0.01° so that a province's box stops growing once its
-- land is covered and most writes leave it untouched. It only grows: a box too large costs a
-- wasted probe, a box too small would hide parcels, so the database keeps it and nothing else
-- writes it:
--   - a row trigger on parcel_versions (cloned by PostgreSQL onto every partition, present and
--     future, so a write naming a partition grows it too), enabled ALWAYS so that the rows a
--     national node receives by logical replication grow its own boxes;
--   - province_partitions_attach() widens the province's box over the rows it brings back;
--   - province_extents_refresh() widens every box over the rows present (run below, and after
--     a restore that bypassed triggers).
-- The trigger takes a row lock on the province's box only when a row falls outside it.
CREATE TABLE province_extents (
    province_code text PRIMARY KEY,
    west  float8 NOT NULL,
    south float8 NOT NULL,
    east  float8 NOT NULL,
    north float8 NOT NULL,
    CHECK (west <= east AND south <= north)
);

-- The service reads the boxes; only the trigger and the owner's functions write them.
INSERT INTO federation_tables (table_name, kind, province_key) VALUES ('province_extents', 'node', NULL);

-- SECURITY DEFINER: the service's role may not write province_extents (grants.sql).
CREATE FUNCTION province_extents_cover() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
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

CREATE TRIGGER province_extents_cover AFTER INSERT OR UPDATE OF geom, province_code ON parcel_versions
    FOR EACH ROW EXECUTE FUNCTION province_extents_cover();
ALTER TABLE parcel_versions ENABLE ALWAYS TRIGGER province_extents_cover;

-- Widens the boxes of one province (or all, for NULL) over the versions present. Returns how
-- many provinces it looked at.
CREATE FUNCTION province_extents_refresh(p_code text DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
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

SELECT province_extents_refresh();

CREATE OR REPLACE FUNCTION province_partitions_attach(p_code text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
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
END $$;

-- The bbox branch and its count start from the provinces whose box meets the bbox. And no parallel
-- plan: the cached generic plan of a page over 34 partitions came out as a Parallel Append
-- with two workers, whose start-up cost ~25 ms on every call of a ~1 ms page (measured on the
-- 1,000,000-parcel register: 27 TPS against 618 without workers). The communes are looked up
-- per parcel (a LATERAL sub-select), not joined: the generic plan, not knowing how few rows the
-- provinces give, joined a sequential scan of admin_units to every page (30 ms at 10,000,000
-- parcels; the tile likewise). And always the generic plan, which prunes at run time: with 34
-- partitions PostgreSQL priced it above a custom plan at 10,000,000 parcels and planned every
-- call afresh, ~5 ms each (185 pages/s from one client against 836 with the generic plan).
-- Bodies as in
-- crates/store/src/sql/ (parcel_page_current_bbox.sql, parcel_count_current_bbox.sql).
CREATE OR REPLACE FUNCTION parcels_page(float8, float8, float8, float8, bigint, bigint, bigint)
RETURNS TABLE (feature text, matched bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET max_parallel_workers_per_gather = 0
SET plan_cache_mode = force_generic_plan AS $$
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
$$;

-- The tile's stamp and features start from the provinces whose box meets the tile's buffered
-- envelope (tiles_parcels_stamp.sql, tiles_parcels.sql), in the generic plan as the page.
-- (The plan tests in public_api and tiles look at the generic plans.)
CREATE OR REPLACE FUNCTION parcel_tile(integer, integer, integer, text[])
RETURNS TABLE (stamp_n bigint, stamp_changed timestamptz, mvt bytea)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET plan_cache_mode = force_generic_plan AS $$
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
      SELECT ST_AsMVT(features, 'parcels', 4096, 'geom', 'fid') AS tile FROM features WHERE geom IS NOT NULL
    ) AS t;
  END IF;
  RETURN NEXT;
END
$$;
