-- Dossiers received in a period (days in Vietnam time, UTC+7), with what the timeliness
-- statistics need. Withdrawn dossiers are not counted.
SELECT d.channel, d.received_at, d.due_on, d.result_ready_at, d.state,
       (SELECT count(*) FROM apology_letters a WHERE a.dossier_id = d.id) AS apologies,
       ARRAY(SELECT v.x FROM dossier_pauses p, LATERAL (VALUES (1, p.from_day), (2, coalesce(p.to_day, $6))) v(k, x)
              WHERE p.dossier_id = d.id ORDER BY p.from_day, p.id, v.k) AS pause_days
  FROM dossiers d
  LEFT JOIN admin_units c ON c.id = d.commune_id
 WHERE d.state <> 'withdrawn'
   AND ($1::text IS NULL OR d.province_code = $1)
   AND ($2::text IS NULL OR c.code = $2)
   AND ($3::text IS NULL OR d.procedure_code = $3)
   AND ($4::date IS NULL OR (d.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date >= $4)
   AND ($5::date IS NULL OR (d.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date <= $5)
