-- A page of communes in force ordered by id: those after id $5 whose boundary meets the box
-- ($1..$4 in WGS 84, all NULL for no box), at most $6.
SELECT u.id, u.code, u.name, u.division_type, u.province_code, p.name AS province_name,
       u.boundary_source, ST_AsGeoJSON(u.boundary, 8) AS geometry
  FROM admin_units u JOIN admin_units p ON p.level = 'province' AND p.code = u.province_code AND p.valid_to IS NULL
 WHERE u.level = 'commune' AND u.valid_to IS NULL
   AND ($1::float8 IS NULL OR ST_Intersects(u.boundary, ST_MakeEnvelope($1, $2, $3, $4, 4326)))
   AND u.id > $5
 ORDER BY u.id LIMIT $6
