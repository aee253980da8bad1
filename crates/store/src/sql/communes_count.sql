-- How many communes in force the box of communes_page.sql ($1..$4, all NULL for no box) matches.
SELECT count(*) AS n
  FROM admin_units u JOIN admin_units p ON p.level = 'province' AND p.code = u.province_code AND p.valid_to IS NULL
 WHERE u.level = 'commune' AND u.valid_to IS NULL
   AND ($1::float8 IS NULL OR ST_Intersects(u.boundary, ST_MakeEnvelope($1, $2, $3, $4, 4326)))
