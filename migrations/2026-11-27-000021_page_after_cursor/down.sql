-- The definition of migration 000018.
CREATE OR REPLACE FUNCTION parcels_page(float8, float8, float8, float8, bigint, bigint, bigint)
RETURNS TABLE (feature text, matched bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
  returned bigint;
BEGIN
  IF $1 IS NULL THEN
    RETURN QUERY
      SELECT json_build_object(
               'parcel_id', v.parcel_id, 'national_id', p.national_id, 'province_code', p.province_code,
               'commune_code', c.code, 'commune_name', c.name, 'registered_commune_code', rc.code,
               'sheet_no', v.sheet_no, 'parcel_no', v.parcel_no, 'legal_area_m2', v.legal_area_m2::float8,
               'address', v.address, 'version', v.version, 'valid_from', v.valid_from, 'valid_to', v.valid_to,
               'is_synthetic', v.is_synthetic, 'source_crs_epsg', v.source_crs_epsg,
               'land_uses', (SELECT coalesce(json_agg(json_build_object('code', lu.land_use_code, 'area_m2', lu.area_m2,
                                                                        'use_until', lu.use_until)
                                                      ORDER BY lu.area_m2 DESC, lu.land_use_code), '[]')
                               FROM parcel_land_uses lu WHERE lu.parcel_version_id = v.id),
               'geometry', ST_AsGeoJSON(v.geom, 8)::json)::text,
             NULL::bigint
        FROM parcel_versions v
        JOIN parcels p ON p.id = v.parcel_id
        JOIN admin_units c ON c.id = v.commune_id
        JOIN admin_units rc ON rc.id = v.registered_commune_id
       WHERE v.valid_to IS NULL AND v.parcel_id > $5
       ORDER BY v.parcel_id
       LIMIT $6
    ;
  ELSE
    RETURN QUERY
      SELECT json_build_object(
               'parcel_id', v.parcel_id, 'national_id', p.national_id, 'province_code', p.province_code,
               'commune_code', c.code, 'commune_name', c.name, 'registered_commune_code', rc.code,
               'sheet_no', v.sheet_no, 'parcel_no', v.parcel_no, 'legal_area_m2', v.legal_area_m2::float8,
               'address', v.address, 'version', v.version, 'valid_from', v.valid_from, 'valid_to', v.valid_to,
               'is_synthetic', v.is_synthetic, 'source_crs_epsg', v.source_crs_epsg,
               'land_uses', (SELECT coalesce(json_agg(json_build_object('code', lu.land_use_code, 'area_m2', lu.area_m2,
                                                                        'use_until', lu.use_until)
                                                      ORDER BY lu.area_m2 DESC, lu.land_use_code), '[]')
                               FROM parcel_land_uses lu WHERE lu.parcel_version_id = v.id),
               'geometry', ST_AsGeoJSON(v.geom, 8)::json)::text,
             NULL::bigint
        FROM parcel_versions v
        JOIN parcels p ON p.id = v.parcel_id
        JOIN admin_units c ON c.id = v.commune_id
        JOIN admin_units rc ON rc.id = v.registered_commune_id
       WHERE v.valid_to IS NULL
         AND ST_Intersects(v.geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))
         AND v.parcel_id > $5
       ORDER BY v.parcel_id
       LIMIT $6
    ;
  END IF;
  IF $7 IS NULL OR $5 <> 0 THEN
    RETURN;
  END IF;
  GET DIAGNOSTICS returned = ROW_COUNT;
  feature := NULL;
  IF returned < $6 THEN
    -- The whole filter fits in this page: its rows are the count.
    matched := returned;
  ELSIF $1 IS NULL THEN
    matched := (
        SELECT count(*) FROM (SELECT 1 FROM parcel_versions v WHERE v.valid_to IS NULL LIMIT $7 + 1) AS hits
    );
  ELSE
    matched := (
        SELECT count(*) FROM (SELECT 1 FROM parcel_versions v
                               WHERE v.valid_to IS NULL AND ST_Intersects(v.geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))
                               LIMIT $7 + 1) AS hits
    );
  END IF;
  IF matched > $7 THEN
    matched := NULL;
  END IF;
  RETURN NEXT;
END
$$;
