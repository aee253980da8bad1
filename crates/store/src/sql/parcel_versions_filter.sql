-- Appended to parcel_select.sql: versions by filters each NULL for "any": $1 version id,
-- $2 parcel id, $3 version number, $4 national id, $5 registered commune ids (array),
-- $6 commune id, $7 sheet number, $8 parcel number; $9 true: current versions only.
 WHERE ($1::bigint IS NULL OR v.id = $1)
   AND ($2::bigint IS NULL OR v.parcel_id = $2)
   AND ($3::int IS NULL OR v.version = $3)
   AND ($4::text IS NULL OR p.national_id = $4)
   AND ($5::int[] IS NULL OR v.registered_commune_id = ANY($5))
   AND ($6::int IS NULL OR v.commune_id = $6)
   AND ($7::int IS NULL OR v.sheet_no = $7)
   AND ($8::int IS NULL OR v.parcel_no = $8)
   AND (NOT $9::bool OR v.valid_to IS NULL)
 ORDER BY v.parcel_id, v.version
