-- A sheet and parcel number a current parcel of commune $1 already carries (the key of
-- parcel_versions_current_key, as POST /parcels checks it). $2 is the commune's province: its
-- parcels are all in that province's partition, so naming it spares a probe of every other
-- province's index for each feature.
UPDATE import_staging s
   SET codes = s.codes || 'duplicate_in_register'::text,
       reasons = s.reasons || format('parcel %s on sheet %s of commune %s already exists (%s)',
                                     s.parcel_no, s.sheet_no, u.code, p.national_id)
  FROM parcel_versions v
  JOIN parcels p ON p.id = v.parcel_id
  JOIN admin_units u ON u.id = v.registered_commune_id
 WHERE v.valid_to IS NULL
   AND v.province_code = $2
   AND v.registered_commune_id = $1
   AND v.sheet_no = s.sheet_no
   AND v.parcel_no = s.parcel_no
