-- After the COPY: the key, the spatial index the overlap checks join on, fresh statistics.
ALTER TABLE import_staging ADD PRIMARY KEY (seq);
CREATE INDEX import_staging_geom ON import_staging USING gist (geom);
CREATE INDEX import_staging_number ON import_staging (sheet_no, parcel_no);
ANALYZE import_staging;
