-- A use right (form $2, source document $3) on the current version of parcel $1, registered by
-- dossier $4 (or NULL) and carried from right $5 (or NULL: a split or merge continues a right);
-- returns its id.
INSERT INTO rrrs (kind, parcel_id, parcel_version_id, use_form, source_document, registered_dossier_id, carried_from_id)
SELECT 'use_right', $1, v.id, $2, $3, $4, $5 FROM parcel_versions v WHERE v.parcel_id = $1 AND v.valid_to IS NULL
RETURNING id
