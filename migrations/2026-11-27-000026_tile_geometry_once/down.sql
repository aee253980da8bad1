-- The tile functions as migrations 000023 (parcel_tile) and 000018 (planning_zone_tile) left them.

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

CREATE OR REPLACE FUNCTION planning_zone_tile(integer, integer, integer, text[])
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
