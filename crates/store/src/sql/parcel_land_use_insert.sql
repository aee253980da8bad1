-- A land use of a parcel version (area $3 rounded to 0.1 m²).
INSERT INTO parcel_land_uses (parcel_version_id, land_use_code, area_m2, use_until, origin)
VALUES ($1, $2, round($3::numeric, 1), $4, $5)
