-- Rejected features after position $1, $2 at a time: early reasons first, then the checks'.
SELECT seq, fid, sheet_no, parcel_no, land_use, declared_area, address, src,
       coalesce(string_to_array(early_codes, ','), '{}') || codes AS codes,
       coalesce(string_to_array(early_reasons, E'\x1f'), '{}') || reasons AS reasons
  FROM import_staging
 WHERE seq > $1
   AND (early_codes IS NOT NULL OR cardinality(codes) > 0)
 ORDER BY seq
 LIMIT $2
