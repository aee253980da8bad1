DROP INDEX dossiers_open;
DROP INDEX apology_letters_once;
ALTER TABLE apology_letters DROP COLUMN previous_due_on;
DROP TABLE dossier_obligations;
ALTER TABLE dossier_events DROP CONSTRAINT dossier_events_purpose, DROP COLUMN purpose;
DELETE FROM dossier_pauses WHERE reason = 'posting';
ALTER TABLE dossier_pauses DROP CONSTRAINT dossier_pauses_reason_check;
ALTER TABLE dossier_pauses ADD CONSTRAINT dossier_pauses_reason_check CHECK (reason IN ('supplement', 'financial_obligation'));
-- The states this migration added fall back to the step that holds them in the older model.
UPDATE dossiers SET state = 'appraising' WHERE state IN ('at_commune', 'at_tax_office', 'awaiting_payment');
ALTER TABLE dossiers
    DROP CONSTRAINT dossiers_incomplete_has_note,
    DROP COLUMN incomplete_note,
    DROP COLUMN missing_documents,
    DROP COLUMN documents_checked,
    DROP COLUMN return_tracking_no,
    DROP COLUMN cutoff,
    DROP CONSTRAINT dossiers_state_check;
ALTER TABLE dossiers ADD CONSTRAINT dossiers_state_check CHECK (state IN ('received', 'supplement_requested',
    'appraising', 'approved', 'rejected', 'result_ready', 'returned', 'withdrawn'));
ALTER TABLE procedures
    DROP COLUMN posting_days,
    DROP COLUMN site_verification_days,
    DROP COLUMN pause_reasons,
    DROP COLUMN max_supplements,
    DROP COLUMN cutoff;
