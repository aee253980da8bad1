-- Raises every registry counter to the highest number already used by certificates on record
-- ("CS 00120" → 120).
INSERT INTO registry_counters (province_code, year, last_no)
SELECT province_code, registry_year, max(substring(registry_no FROM '([0-9]+)$')::integer)
  FROM certificates WHERE registry_no ~ '[0-9]+$' GROUP BY province_code, registry_year
ON CONFLICT (province_code, year) DO UPDATE SET last_no = greatest(registry_counters.last_no, excluded.last_no)
