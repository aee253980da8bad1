DROP INDEX rrrs_one_current_use_right;
ALTER TABLE certificates DROP COLUMN key_id;
DROP TABLE signing_keys;
DROP TABLE registry_counters;
ALTER TABLE certificates DROP CONSTRAINT certificates_revocation;
ALTER TABLE certificates DROP CONSTRAINT certificates_registry_unique;
ALTER TABLE certificates ADD CONSTRAINT certificates_province_code_registry_no_key UNIQUE (province_code, registry_no);
ALTER TABLE certificates DROP COLUMN content, DROP COLUMN revoked_reason, DROP COLUMN revoked_at,
    DROP COLUMN dossier_id, DROP COLUMN registry_year;
DROP TABLE dossier_documents;
DROP TABLE dossier_pauses;
DROP TABLE receipt_counters;
ALTER TABLE dossiers DROP COLUMN result_ready_at, DROP COLUMN decided_at, DROP COLUMN paused_since,
    DROP COLUMN remote_commune;
DROP TABLE calendar_days;
