DROP TABLE geometry_checks;
DROP TABLE apology_letters;
DROP TABLE dossier_events;
DROP TABLE dossier_parcels;
DROP TABLE dossiers;
DROP TABLE procedures;
