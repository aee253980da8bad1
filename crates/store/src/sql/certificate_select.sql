-- A certificate with its right's parcel and, when replaced, its successor's serial, issue date
-- and reason. $1 a certificate id, $2 a serial: the one with either (each NULL for "any").
SELECT c.id, c.serial, c.registry_no, c.registry_year, c.province_code, c.rrr_id, r.parcel_id,
       r.valid_to AS right_valid_to, c.issued_on, c.issuing_authority, c.status,
       c.replaced_by_id, n.serial AS replaced_by_serial, n.issued_on AS replaced_on,
       n.content -> 'replaces' ->> 'reason' AS replaced_reason,
       c.revoked_at, c.revoked_reason, c.content, c.key_id, c.signature, c.qr_payload, c.dossier_id
  FROM certificates c
  JOIN rrrs r ON r.id = c.rrr_id
  LEFT JOIN certificates n ON n.id = c.replaced_by_id
 WHERE ($1::bigint IS NULL OR c.id = $1)
   AND ($2::text IS NULL OR c.serial = $2)
