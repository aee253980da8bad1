SELECT count(*) AS n FROM import_staging WHERE early_codes IS NOT NULL OR cardinality(codes) > 0
