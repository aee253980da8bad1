-- What a planning tile ($1 zoom, $2 x, $3 y) is built from, for its ETag: the zones of any
-- plan in its envelope and the latest zone insert or plan status change among them (an
-- approval or a supersession changes which zones the tile shows).
WITH bounds AS (
    SELECT ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326) AS env4326
)
SELECT count(*) AS n,
       coalesce(max(greatest(z.created_at, pl.updated_at)), 'epoch'::timestamptz) AS changed
  FROM bounds
  JOIN planning_zones z ON z.geom && bounds.env4326
  JOIN planning_plans pl ON pl.id = z.plan_id
