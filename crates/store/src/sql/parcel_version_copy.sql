-- A new version ($2, reason $3, address $4) of version $1's parcel with the same geometry and
-- numbers (a change after issuance that leaves the boundary: purpose, term); returns its id.
INSERT INTO parcel_versions (parcel_id, version, commune_id, registered_commune_id, sheet_no, parcel_no,
                             geom, source_crs_epsg, legal_area_m2, address, change_reason, is_synthetic, valid_from,
                             province_code)
SELECT parcel_id, $2, commune_id, registered_commune_id, sheet_no, parcel_no,
       geom, source_crs_epsg, legal_area_m2, $4, $3, is_synthetic, clock_timestamp(), province_code
  FROM parcel_versions WHERE id = $1
RETURNING id
