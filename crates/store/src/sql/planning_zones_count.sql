-- The number of planning zones matching the filter of planning_zones_select.sql ($1..$5).
SELECT count(*) AS n
  FROM planning_zones z
  JOIN planning_plans pl ON pl.id = z.plan_id
 WHERE (CASE WHEN $5::int IS NULL THEN pl.status = 'approved' ELSE pl.id = $5 END)
   AND ($1::float8 IS NULL OR ST_Intersects(z.geom, ST_MakeEnvelope($1, $2, $3, $4, 4326)))
