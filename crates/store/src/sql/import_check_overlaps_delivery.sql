-- Features of the file overlapping each other, found by domain::import::overlapping_pairs: pair
-- positions $1 and $2, overlap areas $3 (m², in the VN-2000 plane). Both features of a pair
-- are held back, each told which feature of the file it overlaps.
WITH pairs AS (
    SELECT * FROM unnest($1::integer[], $2::integer[], $3::float8[]) AS p(a, b, area)
), hits AS (
    SELECT a AS seq, b AS other, area FROM pairs
    UNION ALL
    SELECT b, a, area FROM pairs
)
UPDATE import_staging s
   SET codes = s.codes || 'overlaps_delivery'::text,
       reasons = s.reasons || o.what
  FROM (SELECT h.seq,
               string_agg(format('overlaps feature %s of this file by %s m²', f.fid, round(h.area::numeric, 2)), '; '
                          ORDER BY f.fid) AS what
          FROM hits h JOIN import_staging f ON f.seq = h.other
         GROUP BY h.seq) o
 WHERE o.seq = s.seq
