-- Current parcels within $3 metres of the request geometry $1 (GeoJSON, WGS 84), other than
-- parcel $2: the certificate check's neighbours (R5). `$3 / 100000.0` degrees is a little more
-- than $3 metres at Vietnam's latitudes, so the box test keeps every candidate; only the
-- partitions of provinces whose box (province_extents) meets it are read (see
-- parcel_page_current_bbox.sql). Body of check_neighbours() (migrations 000024, 000025), which
-- runs it in a generic plan: nothing is folded to a constant there, so the CTEs are
-- MATERIALIZED to parse the request and cast it to geography once per call (inlined, every
-- candidate row parsed the GeoJSON and cast it again).
WITH c AS MATERIALIZED (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS g),
     near AS MATERIALIZED (SELECT c.g::geography AS gg, ST_Expand(c.g, $3 / 100000.0) AS box FROM c)
SELECT p.national_id AS id, '' AS code, ST_AsGeoJSON(v.geom, 9) AS geometry
  FROM near
  JOIN province_extents e
    ON e.west <= ST_XMax(near.box) AND e.east >= ST_XMin(near.box)
   AND e.south <= ST_YMax(near.box) AND e.north >= ST_YMin(near.box)
 CROSS JOIN LATERAL (SELECT v.parcel_id, v.province_code, v.geom FROM parcel_versions v
                      WHERE v.province_code = e.province_code AND v.valid_to IS NULL AND v.parcel_id <> $2
                        AND v.geom && near.box AND ST_DWithin(v.geom::geography, near.gg, $3)
                     OFFSET 0) v
  JOIN parcels p ON p.id = v.parcel_id AND p.province_code = v.province_code
 ORDER BY p.national_id
 LIMIT 500
