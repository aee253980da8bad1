DROP TABLE certificates;
DROP TABLE certificate_blanks;
DROP TABLE rrr_shares;
DROP TABLE rrrs;
DROP TABLE parties;
DROP TABLE parcel_land_uses;
DROP TABLE parcel_versions;
DROP TABLE parcels;
