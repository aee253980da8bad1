-- Holders of a right ($1) with their personal data and shares, largest share first.
SELECT pa.kind, pa.full_name, pa.id_number, s.share::float8 AS share
  FROM rrr_shares s
  JOIN parties pa ON pa.id = s.party_id
 WHERE s.rrr_id = $1
 ORDER BY s.share DESC, pa.id
