DROP INDEX geometry_checks_parcel;
ALTER TABLE geometry_checks DROP COLUMN parcel_id;
DROP TABLE reference_documents;
