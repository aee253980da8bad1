-- Features to be loaded whose national id is issued already (to any parcel, current or retired),
-- or given to an earlier feature of the file: they take the next candidate, as POST /parcels does.
-- (Joins, not correlated subqueries: the staging table's estimates are rough.)
WITH good AS MATERIALIZED (
    SELECT seq, national_id, src FROM import_staging WHERE early_codes IS NULL AND cardinality(codes) = 0
), firsts AS (
    SELECT national_id, min(seq) AS first FROM good GROUP BY national_id
)
SELECT g.seq, g.src
  FROM good g
  JOIN firsts f USING (national_id)
  LEFT JOIN parcels p USING (national_id)
 WHERE g.seq > f.first OR p.id IS NOT NULL
 ORDER BY g.seq
