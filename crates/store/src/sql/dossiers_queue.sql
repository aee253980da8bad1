-- The open dossiers (not returned, not withdrawn) of the desk's queue: where each is and what
-- its clock needs, without personal data. $1 province, $2 commune, $3 procedure (NULL: any).
SELECT d.id, d.receipt_no, d.procedure_code, c.code AS commune_code, d.state, d.received_at, d.cutoff,
       d.statutory_days, d.due_on, d.result_ready_at,
       (SELECT min(a.issued_at) FROM apology_letters a WHERE a.dossier_id = d.id) AS apology_at,
       ARRAY(SELECT p.from_day FROM dossier_pauses p WHERE p.dossier_id = d.id ORDER BY p.from_day, p.id) AS pause_from,
       ARRAY(SELECT p.to_day FROM dossier_pauses p WHERE p.dossier_id = d.id ORDER BY p.from_day, p.id) AS pause_to
  FROM dossiers d
  LEFT JOIN admin_units c ON c.id = d.commune_id
 WHERE d.state NOT IN ('returned', 'withdrawn')
   AND ($1::text IS NULL OR d.province_code = $1)
   AND ($2::text IS NULL OR c.code = $2)
   AND ($3::text IS NULL OR d.procedure_code = $3)
 ORDER BY d.due_on, d.id
