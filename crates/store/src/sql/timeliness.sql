-- Dossiers received in a period (days in Vietnam time, UTC+7), with what the timeliness
-- statistics need. Withdrawn dossiers are not counted. $1 province, $2 commune, $3 procedure,
-- $4 channel (each NULL for any), $5 first and $6 last day of receipt (NULL: open-ended).
SELECT d.procedure_code, pr.name AS procedure_name, c.code AS commune_code, c.name AS commune_name, d.channel,
       d.received_at, d.cutoff, d.statutory_days, d.due_on, d.result_ready_at, d.state,
       (SELECT count(*) FROM apology_letters a WHERE a.dossier_id = d.id) AS apologies,
       (SELECT min(a.issued_at) FROM apology_letters a WHERE a.dossier_id = d.id) AS apology_at,
       ARRAY(SELECT p.from_day FROM dossier_pauses p WHERE p.dossier_id = d.id ORDER BY p.from_day, p.id) AS pause_from,
       ARRAY(SELECT p.to_day FROM dossier_pauses p WHERE p.dossier_id = d.id ORDER BY p.from_day, p.id) AS pause_to
  FROM dossiers d
  JOIN procedures pr ON pr.code = d.procedure_code
  LEFT JOIN admin_units c ON c.id = d.commune_id
 WHERE d.state <> 'withdrawn'
   AND ($1::text IS NULL OR d.province_code = $1)
   AND ($2::text IS NULL OR c.code = $2)
   AND ($3::text IS NULL OR d.procedure_code = $3)
   AND ($4::text IS NULL OR d.channel = $4)
   AND ($5::date IS NULL OR (d.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date >= $5)
   AND ($6::date IS NULL OR (d.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date <= $6)
