-- Zones of one plan ($1) whose interiors overlap, where at least one of the pair is among the
-- zones just imported ($2), by more than $3 m² (ellipsoid). A point of a plan has one planned
-- use: overlapping zones would count twice in a parcel's planning impact.
-- ST_Relate's interior-interior test keeps zones that merely share an edge out early.
SELECT zone_a, zone_b, area_m2 FROM (
    SELECT a.id AS zone_a, b.id AS zone_b,
           ST_Area(ST_Intersection(a.geom, b.geom)::geography) AS area_m2
      FROM planning_zones a
      JOIN planning_zones b ON b.plan_id = a.plan_id AND b.id > a.id AND b.geom && a.geom
     WHERE a.plan_id = $1
       AND (a.id = ANY($2) OR b.id = ANY($2))
       AND ST_Relate(a.geom, b.geom, '2********')
) o
WHERE area_m2 > $3
ORDER BY zone_b, zone_a
