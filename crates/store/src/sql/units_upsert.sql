-- Inserts administrative units that are not there yet (same level, code and valid_from), with
-- their province as parent. One array per column ($1 level … $8 default CRS); '' = no valid_to.
INSERT INTO admin_units (level, code, name, division_type, province_code, valid_from, valid_to, default_crs_epsg, parent_id)
SELECT t.level, t.code, t.name, t.division_type, t.province_code, t.valid_from::date, nullif(t.valid_to, '')::date, t.crs,
       (SELECT p.id FROM admin_units p WHERE p.level = 'province' AND p.code = t.province_code AND p.valid_to IS NULL
         AND t.level <> 'province')
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[])
       AS t(level, code, name, division_type, province_code, valid_from, valid_to, crs)
 WHERE NOT EXISTS (SELECT 1 FROM admin_units u WHERE u.level = t.level AND u.code = t.code
                     AND u.valid_from = t.valid_from::date)
