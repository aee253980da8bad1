-- Restrictions follow the land: the records of kinds $4 in force on parcels $1 are opened
-- again on the current version of every parcel $2 (carried_from_id = the original), then
-- ended with reason $3. Returns one row per record opened.
WITH carried AS (
    SELECT r.* FROM rrrs r
    WHERE r.parcel_id = ANY ($1) AND r.valid_to IS NULL AND r.kind = ANY ($4)
    FOR UPDATE
), opened AS (
    INSERT INTO rrrs (kind, parcel_id, parcel_version_id, use_form, source_document, description,
                      valid_from, legal_basis, counterparty, reference_no, secured_amount,
                      term_start, term_end, documents, registered_dossier_id, carried_from_id)
    SELECT c.kind, v.parcel_id, v.id, c.use_form, c.source_document, c.description,
           clock_timestamp(), c.legal_basis, c.counterparty, c.reference_no, c.secured_amount,
           c.term_start, c.term_end, c.documents, c.registered_dossier_id, c.id
    FROM carried c
    CROSS JOIN parcel_versions v
    WHERE v.parcel_id = ANY ($2) AND v.valid_to IS NULL
    RETURNING id
), ended AS (
    UPDATE rrrs SET valid_to = clock_timestamp(), ended_reason = $3
    WHERE id IN (SELECT id FROM carried)
    RETURNING id
)
SELECT id FROM opened
