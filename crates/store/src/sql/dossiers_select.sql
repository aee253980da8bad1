-- Dossiers with their procedure, applicant, commune, parcels, pauses and apology.
-- $1 id, $2 receipt number, $3 province code, $4 commune code, $5 procedure code, $6 state:
-- each NULL for "any"; $7 a day: only dossiers overdue on it (NULL: all): not finished, past
-- the stored due date, and not paused since on or before that due date (a pause that began
-- while the dossier was within time keeps it within time); $8 the id to page after, $9 the
-- page size.
SELECT d.id, d.receipt_no, d.tracking_code, d.procedure_code, pr.name AS procedure_name, d.province_code,
       c.code AS commune_code, c.name AS commune_name, d.channel, d.applicant_party_id, pa.kind AS applicant_kind,
       pa.full_name AS applicant_name, d.state, d.received_at, d.cutoff, d.statutory_days, d.due_on,
       d.remote_commune, d.return_method, d.return_tracking_no, d.returned_at, d.decided_at, d.result_ready_at,
       d.paused_since, d.documents_checked, d.missing_documents, d.incomplete_note, d.return_address, d.contact_email,
       ARRAY(SELECT p.national_id FROM dossier_parcels dp JOIN parcels p ON p.id = dp.parcel_id
             WHERE dp.dossier_id = d.id ORDER BY p.national_id) AS parcels,
       ARRAY(SELECT p.from_day FROM dossier_pauses p WHERE p.dossier_id = d.id ORDER BY p.from_day, p.id) AS pause_from,
       ARRAY(SELECT p.to_day FROM dossier_pauses p WHERE p.dossier_id = d.id ORDER BY p.from_day, p.id) AS pause_to,
       (SELECT count(*) FROM apology_letters a WHERE a.dossier_id = d.id) AS apologies,
       (SELECT min(a.issued_at) FROM apology_letters a WHERE a.dossier_id = d.id) AS apology_at
  FROM dossiers d
  JOIN procedures pr ON pr.code = d.procedure_code
  JOIN parties pa ON pa.id = d.applicant_party_id
  LEFT JOIN admin_units c ON c.id = d.commune_id
 WHERE ($1::bigint IS NULL OR d.id = $1)
   AND ($2::text IS NULL OR d.receipt_no = $2)
   AND ($3::text IS NULL OR d.province_code = $3)
   AND ($4::text IS NULL OR c.code = $4)
   AND ($5::text IS NULL OR d.procedure_code = $5)
   AND ($6::text IS NULL OR d.state = $6)
   AND ($7::date IS NULL OR (d.due_on < $7 AND d.result_ready_at IS NULL
                             AND d.state NOT IN ('returned', 'withdrawn', 'result_ready')
                             AND NOT EXISTS (SELECT 1 FROM dossier_pauses p
                                              WHERE p.dossier_id = d.id AND p.from_day <= d.due_on
                                                AND coalesce(p.to_day, $7) >= $7)))
   AND d.id > $8
 ORDER BY d.id
 LIMIT $9
