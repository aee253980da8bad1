-- Rejected features per reason code; a feature counts once under each of its codes.
SELECT code, count(DISTINCT seq) AS n
  FROM (SELECT seq, unnest(codes || coalesce(string_to_array(early_codes, ','), '{}')) AS code
          FROM import_staging
         WHERE early_codes IS NOT NULL OR cardinality(codes) > 0) c
 GROUP BY code
 ORDER BY code
