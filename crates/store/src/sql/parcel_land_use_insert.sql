-- A land use of a parcel version (area $3 rounded to 0.1 m²), in its version's province's
-- partition (migration 000022).
INSERT INTO parcel_land_uses (parcel_version_id, land_use_code, area_m2, use_until, origin, province_code)
VALUES ($1, $2, round($3::numeric, 1), $4, $5, (SELECT v.province_code FROM parcel_versions v WHERE v.id = $1))
