-- The land uses of parcel version $1 with everything recorded about them (terms, origin), largest first.
SELECT land_use_code AS code, area_m2::float8 AS area_m2, use_until, origin
  FROM parcel_land_uses
 WHERE parcel_version_id = $1
 ORDER BY area_m2 DESC, land_use_code
