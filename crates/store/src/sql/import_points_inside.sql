-- The indexes (1-based) of the WGS 84 points ($2 longitudes, $3 latitudes) inside unit $1.
SELECT i::integer AS i
  FROM admin_units u, unnest($2::float8[], $3::float8[]) WITH ORDINALITY AS pt(lon, lat, i)
 WHERE u.id = $1
   AND ST_Covers(u.boundary, ST_SetSRID(ST_MakePoint(pt.lon, pt.lat), 4326))
 ORDER BY i
