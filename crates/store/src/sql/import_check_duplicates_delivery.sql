-- A sheet and parcel number the file gives more than one feature: which one is right cannot be
-- told, so all of them are held back (features rejected for other reasons still claim theirs).
UPDATE import_staging s
   SET codes = s.codes || 'duplicate_in_delivery'::text,
       reasons = s.reasons || format('parcel %s on sheet %s is given %s times in this file (features %s)',
                                     s.parcel_no, s.sheet_no, d.n, d.fids)
  FROM (SELECT sheet_no, parcel_no, count(*) AS n, string_agg(fid::text, ', ' ORDER BY fid) AS fids
          FROM import_staging
         WHERE sheet_no IS NOT NULL AND parcel_no IS NOT NULL
         GROUP BY sheet_no, parcel_no
        HAVING count(*) > 1) d
 WHERE s.sheet_no = d.sheet_no
   AND s.parcel_no = d.parcel_no
