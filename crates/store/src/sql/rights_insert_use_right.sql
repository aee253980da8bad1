-- A use right (form $2, source document $3) on the current version of parcel $1; returns its id.
INSERT INTO rrrs (kind, parcel_id, parcel_version_id, use_form, source_document)
SELECT 'use_right', $1, v.id, $2, $3 FROM parcel_versions v WHERE v.parcel_id = $1 AND v.valid_to IS NULL
RETURNING id
