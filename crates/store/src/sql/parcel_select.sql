SELECT v.parcel_id, v.id AS version_id, p.national_id, p.province_code,
       v.commune_id, c.code AS commune_code, c.name AS commune_name,
       v.registered_commune_id, rc.code AS registered_commune_code,
       v.sheet_no, v.parcel_no, v.legal_area_m2::float8 AS legal_area_m2, v.address,
       v.version, v.valid_from, v.valid_to, v.change_reason, v.is_synthetic, v.source_crs_epsg,
       (SELECT coalesce(json_agg(json_build_object('code', lu.land_use_code, 'area_m2', lu.area_m2,
                                                   'use_until', lu.use_until)
                                 ORDER BY lu.area_m2 DESC, lu.land_use_code), '[]')::text
          FROM parcel_land_uses lu WHERE lu.parcel_version_id = v.id AND lu.province_code = v.province_code) AS land_uses,
       ST_AsGeoJSON(v.geom, 8) AS geometry
  FROM parcel_versions v
  JOIN parcels p ON p.id = v.parcel_id AND p.province_code = v.province_code
  JOIN admin_units c ON c.id = v.commune_id
  JOIN admin_units rc ON rc.id = v.registered_commune_id
