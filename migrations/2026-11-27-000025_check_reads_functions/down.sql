-- check_neighbours as migration 000024 defined it; no parcel_current.
DROP FUNCTION parcel_current(text);

CREATE OR REPLACE FUNCTION check_neighbours(text, bigint, float8)
RETURNS TABLE (id text, code text, geometry text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
    WITH c AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS g),
         near AS (SELECT c.g, ST_Expand(c.g, $3 / 100000.0) AS box FROM c)
    SELECT p.national_id AS id, '' AS code, ST_AsGeoJSON(v.geom, 9) AS geometry
      FROM near
      JOIN province_extents e
        ON e.west <= ST_XMax(near.box) AND e.east >= ST_XMin(near.box)
       AND e.south <= ST_YMax(near.box) AND e.north >= ST_YMin(near.box)
     CROSS JOIN LATERAL (SELECT v.parcel_id, v.province_code, v.geom FROM parcel_versions v
                          WHERE v.province_code = e.province_code AND v.valid_to IS NULL AND v.parcel_id <> $2
                            AND v.geom && near.box AND ST_DWithin(v.geom::geography, near.g::geography, $3)
                         OFFSET 0) v
      JOIN parcels p ON p.id = v.parcel_id AND p.province_code = v.province_code
     ORDER BY p.national_id
     LIMIT 500;
END
$$;
