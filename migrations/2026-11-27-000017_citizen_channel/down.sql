DROP TABLE notices;
ALTER TABLE dossiers DROP COLUMN return_address, DROP COLUMN contact_email;
DROP TABLE submission_files;
DROP TABLE online_submissions;
