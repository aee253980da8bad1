-- Who issues a certificate of province $1 for procedure $2 to a holder of kind $3, and the
-- registry book prefix: the most specific row of issuing_authorities ('*' matches any).
SELECT authority, registry_prefix
  FROM issuing_authorities
 WHERE province_code IN ($1, '*') AND procedure_code IN ($2, '*') AND holder_kind IN ($3, '*')
 ORDER BY province_code = '*', procedure_code = '*', holder_kind = '*'
 LIMIT 1
