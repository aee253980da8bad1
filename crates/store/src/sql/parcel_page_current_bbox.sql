-- Branch of parcels_page() (migrations 000018, 000021) with a bbox ($1..$4, WGS 84): current parcels
-- meeting it with an id above $5, $6 of them, each as the JSON text of its public row.
-- `valid_to IS NULL` without a CASE around it lets the cached generic plan use the partial
-- GiST index on current versions (parcel_versions_current_geom).
-- It starts from the provinces whose box (province_extents, migration 000023) meets the bbox and
-- reads each one's versions in a sub-select the planner may not flatten (OFFSET 0), so the
-- province is a parameter of each scan and PostgreSQL prunes it to that province's partition
-- (a `province_code = ANY (array)` is no use: the planner prunes only by constant arrays).
-- A change here needs a new migration replacing the function (a test compares them).
SELECT json_build_object(
         'parcel_id', v.parcel_id, 'national_id', p.national_id, 'province_code', p.province_code,
         'commune_code', c.code, 'commune_name', c.name, 'registered_commune_code', rc.code,
         'sheet_no', v.sheet_no, 'parcel_no', v.parcel_no, 'legal_area_m2', v.legal_area_m2::float8,
         'address', v.address, 'version', v.version, 'valid_from', v.valid_from, 'valid_to', v.valid_to,
         'is_synthetic', v.is_synthetic, 'source_crs_epsg', v.source_crs_epsg,
         'land_uses', (SELECT coalesce(json_agg(json_build_object('code', lu.land_use_code, 'area_m2', lu.area_m2,
                                                                  'use_until', lu.use_until)
                                                ORDER BY lu.area_m2 DESC, lu.land_use_code), '[]')
                         FROM parcel_land_uses lu WHERE lu.parcel_version_id = v.id AND lu.province_code = v.province_code),
         'geometry', ST_AsGeoJSON(v.geom, 8)::json)::text,
       NULL::bigint
  FROM province_extents e
 CROSS JOIN LATERAL (SELECT v.* FROM parcel_versions v
                      WHERE v.province_code = e.province_code AND v.valid_to IS NULL
                        AND ST_Intersects(v.geom, ST_MakeEnvelope($1, $2, $3, $4, 4326)) AND v.parcel_id > $5
                     OFFSET 0) v
  JOIN parcels p ON p.id = v.parcel_id AND p.province_code = v.province_code
  -- A lookup per parcel: with the lateral rows' count unknown in the generic plan, a plain join
  -- could scan all of admin_units against each page (30 ms at 10,000,000 parcels).
 CROSS JOIN LATERAL (SELECT c.code, c.name FROM admin_units c WHERE c.id = v.commune_id OFFSET 0) c
 CROSS JOIN LATERAL (SELECT rc.code FROM admin_units rc WHERE rc.id = v.registered_commune_id OFFSET 0) rc
 WHERE e.west <= $3 AND e.east >= $1 AND e.south <= $4 AND e.north >= $2 AND p.id > $5
 ORDER BY v.parcel_id
 LIMIT $6
