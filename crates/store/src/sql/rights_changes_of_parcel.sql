-- The changes registered on parcel $1 (or those touching certificate $2), oldest first, with the
-- dossier's receipt number and the serials of the certificates endorsed, issued and replaced.
SELECT ch.id, ch.kind, ch.result, d.receipt_no, ch.dossier_id, ch.from_rrr_id, ch.to_rrr_id,
       ch.from_version, ch.to_version, c.serial AS certificate, rc.serial AS replaced_certificate,
       ch.event_date, ch.due_on, ch.late, ch.summary, ch.recorded_at
  FROM rrr_changes ch
  JOIN dossiers d ON d.id = ch.dossier_id
  JOIN certificates c ON c.id = ch.certificate_id
  LEFT JOIN certificates rc ON rc.id = ch.replaced_certificate_id
 WHERE ($1::bigint IS NULL OR ch.parcel_id = $1)
   AND ($2::bigint IS NULL OR ch.certificate_id = $2 OR ch.replaced_certificate_id = $2)
 ORDER BY ch.recorded_at, ch.id
