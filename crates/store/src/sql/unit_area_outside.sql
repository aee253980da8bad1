-- Area (m², on the ellipsoid) of the part of geometry $2 (GeoJSON in WGS 84) outside the
-- boundary of unit $1; NULL when the unit has no boundary on record.
SELECT ST_Area(ST_Difference(ST_SetSRID(ST_GeomFromGeoJSON($2), 4326), boundary)::geography) AS outside
  FROM admin_units WHERE id = $1
