-- One Mapbox Vector Tile of the zones of approved plans at $1 zoom, $2 x, $3 y. Names appear
-- from zoom 13 (domain::tiles::Layer::fields); the GiST index on planning_zones.geom finds
-- the rows.
-- No `WHERE geom IS NOT NULL` on the result: ST_AsMVT skips NULL geometries by itself, and
-- the filter, pushed down into the inlined CTE, computed ST_AsMVTGeom twice (migration 000026).
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
