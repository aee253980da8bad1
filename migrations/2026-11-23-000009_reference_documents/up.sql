-- Small reference tables kept as data documents (CSV text), edited by an admin without a
-- release and parsed by the domain on use: survey area tolerances by map scale, minimum split
-- areas per province. A document is validated by parsing before it is stored.
CREATE TABLE reference_documents (
    name       text PRIMARY KEY CHECK (name IN ('area-tolerance', 'min-split-area')),
    content    text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A check knows which parcel (if any) and which geometry it judged, so issuance can require a
-- check newer than the parcel's latest change.
ALTER TABLE geometry_checks ADD COLUMN parcel_id bigint REFERENCES parcels (id) ON DELETE RESTRICT;
CREATE INDEX geometry_checks_parcel ON geometry_checks (parcel_id);
