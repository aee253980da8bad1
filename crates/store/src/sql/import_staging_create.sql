-- The staging table of one import (store::imports), private to the importing session. Rows
-- arrive by COPY in file order; `codes`/`reasons` collect what the set-wise checks find,
-- `early_*` what was found before the database saw the feature (geometry, attributes).
DROP TABLE IF EXISTS import_staging;
CREATE TEMP TABLE import_staging (
    seq           integer NOT NULL,
    fid           bigint NOT NULL,
    sheet_no      integer,
    parcel_no     integer,
    land_use      text,
    declared_area double precision,
    address       text,
    legal_area    double precision,
    national_id   text,
    geom          geometry(MultiPolygon, 4326),
    src           text,
    early_codes   text,
    early_reasons text,
    codes         text[] NOT NULL DEFAULT '{}',
    reasons       text[] NOT NULL DEFAULT '{}'
);
