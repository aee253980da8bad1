-- Sets the boundary ($3, GeoJSON in WGS 84) and its source ($4) of the unit in force with
-- level $1 and code $2.
UPDATE admin_units SET boundary = ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($3), 4326)), boundary_source = $4
 WHERE level = $1 AND code = $2 AND valid_to IS NULL
