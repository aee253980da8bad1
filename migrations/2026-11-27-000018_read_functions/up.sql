-- The public reads as functions, so that the service sends each request as one short
-- statement through diesel's query builder (prepared once per connection, unlike sql_query)
-- and PostgreSQL keeps the plans of the bodies per session (PL/pgSQL caches them). Each
-- body is the statement of a file in crates/store/src/sql/ (named in its comment), copied
-- verbatim; a test compares them, so a change there comes with a migration replacing the
-- function. STABLE: every statement of a body reads the caller's snapshot, so a tile and
-- its ETag stamp come from one snapshot without a transaction around them.

-- GET /parcels/{id}: $1 national id, $2 the mortgage kind, $3 the kinds that restrict.
-- sql/parcel_public.sql; NULL when no current parcel has the id.
CREATE FUNCTION parcel_public(text, text, text[]) RETURNS text
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

-- GET /collections/parcels/items (current versions): bbox $1..$4 (NULLs for none), ids above
-- $5, $6 rows, each a JSON text row with `matched` NULL. When $7 is given and $5 is 0 (the
-- first page), one more row follows with `feature` NULL and `matched` the number of parcels
-- the filter matches — NULL when more than $7 (counting would cost more than the page).
-- Branches: sql/parcel_page_current.sql, sql/parcel_page_current_bbox.sql,
-- sql/parcel_count_current.sql, sql/parcel_count_current_bbox.sql.
CREATE FUNCTION parcels_page(float8, float8, float8, float8, bigint, bigint, bigint)
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
       WHERE v.valid_to IS NULL AND v.parcel_id > $5
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
         AND v.parcel_id > $5
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

-- GET /tiles/parcels/{z}/{x}/{y}.mvt: $1 zoom, $2 x, $3 y; $4 the stamps the client holds
-- ('<n>-<changed in µs since 1970>' from its If-None-Match, or '*'). The ETag stamp
-- (sql/tiles_parcels_stamp.sql) and, unless the client's copy is current or the tile is
-- empty, the tile (sql/tiles_parcels.sql), from one snapshot.
CREATE FUNCTION parcel_tile(integer, integer, integer, text[])
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

-- GET /tiles/planning-zones/{z}/{x}/{y}.mvt: as parcel_tile, over sql/tiles_planning_zones_stamp.sql
-- and sql/tiles_planning_zones.sql.
CREATE FUNCTION planning_zone_tile(integer, integer, integer, text[])
RETURNS TABLE (stamp_n bigint, stamp_changed timestamptz, mvt bytea)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
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
      SELECT ST_AsMVT(features, 'planning-zones', 4096, 'geom', 'fid') AS tile FROM features WHERE geom IS NOT NULL
    ) AS t;
  END IF;
  RETURN NEXT;
END
$$;
