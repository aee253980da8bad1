-- Area (m², ellipsoid) of each zone whose id is in $1.
SELECT id, ST_Area(geom::geography) AS area_m2 FROM planning_zones WHERE id = ANY($1)
