-- Current parcels whose interiors overlap the candidate by more than the sliver tolerance.
-- ST_Relate's interior-interior test keeps neighbours that merely share an edge out early.
WITH candidate AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS geom)
SELECT national_id, area_m2, geometry FROM (
    SELECT p.national_id,
           ST_Area(ST_Intersection(v.geom, candidate.geom)::geography) AS area_m2,
           ST_AsGeoJSON(ST_Intersection(v.geom, candidate.geom), 8) AS geometry
      FROM parcel_versions v
      JOIN parcels p ON p.id = v.parcel_id, candidate
     WHERE v.valid_to IS NULL
       AND v.parcel_id <> ALL($2)
       AND v.geom && candidate.geom
       AND ST_Relate(v.geom, candidate.geom, '2********')
) o
WHERE area_m2 > $3
ORDER BY area_m2 DESC
