-- A unit's boundary as GeoJSON (WGS 84, 9 decimals); NULL when not on record.
SELECT ST_AsGeoJSON(boundary, 9) AS geometry FROM admin_units WHERE id = $1
