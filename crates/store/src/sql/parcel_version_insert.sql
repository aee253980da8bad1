-- A parcel version (geometry $7, legal area $9 rounded to 0.1 m²), in its parcel's province's
-- partition (migration 000022); returns its id.
INSERT INTO parcel_versions (parcel_id, version, commune_id, registered_commune_id, sheet_no, parcel_no,
                             geom, source_crs_epsg, legal_area_m2, address, change_reason, is_synthetic, valid_from,
                             province_code)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, round($9::numeric, 1), $10, $11, $12, clock_timestamp(),
        (SELECT p.province_code FROM parcels p WHERE p.id = $1))
RETURNING id
