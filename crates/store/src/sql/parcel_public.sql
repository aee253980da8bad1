-- Body of parcel_public() (migration 000018): the public view of one current parcel
-- ($1 national id) in one statement — the parcel, its use right's holders (names unmasked:
-- the service masks them), its newest certificate, whether the right awaits a certificate,
-- and whether a mortgage ($2, the kind) or any restriction ($3, the kinds that restrict) is in
-- force. JSON text; geometry is ST_AsGeoJSON embedded as is, so the server passes it through.
-- A change here needs a new migration replacing the function (a test compares them).
SELECT json_build_object(
         'parcel', json_build_object(
           'parcel_id', v.parcel_id, 'national_id', p.national_id, 'province_code', p.province_code,
           'commune_code', c.code, 'commune_name', c.name, 'registered_commune_code', rc.code,
           'sheet_no', v.sheet_no, 'parcel_no', v.parcel_no, 'legal_area_m2', v.legal_area_m2::float8,
           'address', v.address, 'version', v.version, 'valid_from', v.valid_from, 'valid_to', v.valid_to,
           'is_synthetic', v.is_synthetic, 'source_crs_epsg', v.source_crs_epsg,
           'land_uses', (SELECT coalesce(json_agg(json_build_object('code', lu.land_use_code, 'area_m2', lu.area_m2,
                                                                    'use_until', lu.use_until)
                                                  ORDER BY lu.area_m2 DESC, lu.land_use_code), '[]')
                           FROM parcel_land_uses lu WHERE lu.parcel_version_id = v.id AND lu.province_code = v.province_code),
           'geometry', ST_AsGeoJSON(v.geom, 8)::json),
         'holders', (SELECT coalesce(json_agg(json_build_object('kind', pa.kind, 'full_name', pa.full_name,
                                                                'share', s.share::float8)
                                              ORDER BY s.share DESC, pa.id), '[]')
                       FROM rrrs r JOIN rrr_shares s ON s.rrr_id = r.id JOIN parties pa ON pa.id = s.party_id
                      WHERE r.parcel_id = v.parcel_id AND r.kind = 'use_right' AND r.valid_to IS NULL),
         'certificate', (SELECT json_build_object('serial', ce.serial, 'status', ce.status, 'issued_on', ce.issued_on)
                           FROM certificates ce JOIN rrrs r ON r.id = ce.rrr_id
                          WHERE r.parcel_id = v.parcel_id
                          ORDER BY (ce.status = 'valid') DESC, ce.issued_on DESC, ce.id DESC LIMIT 1),
         'certificate_pending', EXISTS (SELECT 1 FROM rrrs r
                                          LEFT JOIN certificates ce ON ce.rrr_id = r.id AND ce.status = 'valid'
                                         WHERE r.parcel_id = v.parcel_id AND r.kind = 'use_right'
                                           AND r.valid_to IS NULL AND ce.id IS NULL),
         'has_mortgage', EXISTS (SELECT 1 FROM rrrs r
                                  WHERE r.parcel_id = v.parcel_id AND r.valid_to IS NULL AND r.kind = $2),
         'restricted', EXISTS (SELECT 1 FROM rrrs r
                                WHERE r.parcel_id = v.parcel_id AND r.valid_to IS NULL AND r.kind = ANY ($3))
       )::text
  FROM parcel_versions v
  JOIN parcels p ON p.id = v.parcel_id AND p.province_code = v.province_code
  JOIN admin_units c ON c.id = v.commune_id
  JOIN admin_units rc ON rc.id = v.registered_commune_id
 WHERE p.national_id = $1 AND v.valid_to IS NULL
