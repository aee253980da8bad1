-- Planning zones with their plan, unit and land-use name; area on the ellipsoid (m²).
-- $8 a zone id: that zone, whatever its plan's status. Otherwise zones of approved plans, or
-- of one plan (any status) when $5 is given; bbox $1..$4 (WGS 84) or NULL; after id $6, page size $7.
SELECT z.id, z.plan_id, pl.name AS plan_name, pl.level AS plan_level, pl.status AS plan_status,
       u.code AS unit_code, u.name AS unit_name, u.province_code,
       pl.period_start, pl.period_end, pl.decision_no, pl.decision_date,
       z.land_use_code, t.name AS land_use_name, z.name,
       ST_Area(z.geom::geography) AS area_m2, z.source_crs_epsg, z.is_synthetic,
       ST_AsGeoJSON(z.geom, 8) AS geometry
  FROM planning_zones z
  JOIN planning_plans pl ON pl.id = z.plan_id
  JOIN admin_units u ON u.id = pl.admin_unit_id
  JOIN land_use_types t ON t.code = z.land_use_code
 WHERE ($8::bigint IS NULL OR z.id = $8)
   AND ($8::bigint IS NOT NULL OR (CASE WHEN $5::int IS NULL THEN pl.status = 'approved' ELSE pl.id = $5 END))
   AND ($1::float8 IS NULL OR ST_Intersects(z.geom, ST_MakeEnvelope($1, $2, $3, $4, 4326)))
   AND z.id > $6
 ORDER BY z.id
 LIMIT $7
