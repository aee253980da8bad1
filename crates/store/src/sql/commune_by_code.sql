-- The commune in force with code $1, with its province and boundary, as communes_page.sql.
SELECT u.id, u.code, u.name, u.division_type, u.province_code, p.name AS province_name,
       u.boundary_source, ST_AsGeoJSON(u.boundary, 8) AS geometry
  FROM admin_units u JOIN admin_units p ON p.level = 'province' AND p.code = u.province_code AND p.valid_to IS NULL
 WHERE u.level = 'commune' AND u.valid_to IS NULL AND u.code = $1
