-- The definitions of migration 000022.
CREATE OR REPLACE FUNCTION province_partitions_attach(p_code text) RETURNS void
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

-- (Replacing a function replaces its SET clauses too: the page goes back to none.)
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

DROP TRIGGER province_extents_cover ON parcel_versions;
DROP FUNCTION province_extents_cover();
DROP FUNCTION province_extents_refresh(text);
DELETE FROM federation_tables WHERE table_name = 'province_extents';
DROP TABLE province_extents;
