-- Area (m², ellipsoid) of one parcel version.
SELECT ST_Area(geom::geography) AS area_m2 FROM parcel_versions WHERE id = $1
