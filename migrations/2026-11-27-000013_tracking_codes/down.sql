ALTER TABLE dossiers DROP COLUMN tracking_code;
