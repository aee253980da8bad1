-- The provinces with a current parcel whose box meets the staged delivery's extent: the only
-- partitions of parcel_versions in which a feature of the delivery can overlap a parcel. One
-- probe of each province's index, instead of one per province for every feature.
SELECT coalesce(array_agg(u.code ORDER BY u.code), '{}') AS provinces
  FROM (SELECT DISTINCT code FROM admin_units WHERE level = 'province') u
 WHERE EXISTS (SELECT FROM parcel_versions v
                WHERE v.province_code = u.code AND v.valid_to IS NULL
                  AND v.geom && (SELECT ST_Extent(f.geom)::geometry FROM import_staging f WHERE f.geom IS NOT NULL))
