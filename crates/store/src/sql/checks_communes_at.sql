-- Communes in force other than unit $2 whose boundary on record shares area with the GeoJSON
-- $1 (WGS 84), each with that shared part as GeoJSON (WGS 84, 9 decimals), for R2 to name the
-- commune a parcel lies in. A $1 that PostGIS finds invalid gives no rows (R1 reports it, and
-- the overlay functions would raise instead): the MATERIALIZED CTE keeps the validity test
-- ahead of them. The bounding-box test (&&) lets the GiST index on admin_units.boundary find
-- the candidates; ST_Relate's interior-interior test leaves out communes that only touch.
WITH c AS MATERIALIZED (
    SELECT g FROM (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS g) s WHERE ST_IsValid(g)
)
SELECT u.code, u.name,
       ST_AsGeoJSON(ST_CollectionExtract(ST_Intersection(u.boundary, c.g), 3), 9) AS geometry
  FROM c
  JOIN admin_units u ON u.boundary && c.g AND ST_Relate(u.boundary, c.g, '2********')
 WHERE u.level = 'commune' AND u.valid_to IS NULL AND u.id <> $2
 ORDER BY u.code
 LIMIT 20
