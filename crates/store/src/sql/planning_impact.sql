-- Planning impact of a parcel version ($1): zones of approved plans whose interiors overlap it
-- by more than $2 m², with the overlap's area on the ellipsoid (ST_Area of geography, m²).
-- The bounding-box test (&&) lets the GiST index on planning_zones.geom find the candidates.
-- Each row carries its plan's level: plans of different levels zone the same ground, so their
-- overlaps are reported plan by plan and never added up.
WITH parcel AS (SELECT geom FROM parcel_versions WHERE id = $1)
SELECT zone_id, plan_id, plan_level, land_use_code, land_use_name, zone_name, is_synthetic, area_m2 FROM (
    SELECT z.id AS zone_id, z.plan_id, pl.level AS plan_level, z.land_use_code, t.name AS land_use_name, z.name AS zone_name,
           z.is_synthetic, ST_Area(ST_Intersection(z.geom, parcel.geom)::geography) AS area_m2
      FROM parcel
      JOIN planning_zones z ON z.geom && parcel.geom AND ST_Relate(z.geom, parcel.geom, '2********')
      JOIN planning_plans pl ON pl.id = z.plan_id AND pl.status = 'approved'
      JOIN land_use_types t ON t.code = z.land_use_code
) o
WHERE area_m2 > $2
ORDER BY plan_level = 'commune', plan_id, area_m2 DESC, zone_id
