-- Registers every staged feature without a reason, in file order: identities (province $1, also
-- the partition their versions and land uses go to), first versions (commune $2 is also the
-- registered commune, source CRS $3, reason $4, synthetic $5) and the one land use, its area the
-- declared one or else the legal one — what POST /parcels writes for one parcel. The ids are
-- drawn first, in file order, so that the three inserts read the same rows without joining on
-- anything. Returns the new parcel ids as runs of consecutive ids.
WITH good AS MATERIALIZED (
    SELECT o.*, nextval('parcels_id_seq') AS parcel_id, nextval('parcel_versions_id_seq') AS version_id
      FROM (SELECT * FROM import_staging WHERE early_codes IS NULL AND cardinality(codes) = 0 ORDER BY seq) o
), identities AS (
    INSERT INTO parcels (id, national_id, province_code)
    SELECT parcel_id, national_id, $1 FROM good
    RETURNING 1
), versions AS (
    INSERT INTO parcel_versions (id, parcel_id, version, commune_id, registered_commune_id, sheet_no, parcel_no,
                                 geom, source_crs_epsg, legal_area_m2, address, change_reason, is_synthetic, valid_from,
                                 province_code)
    SELECT version_id, parcel_id, 1, $2, $2, sheet_no, parcel_no, geom, $3, round(legal_area::numeric, 1),
           address, $4, $5, clock_timestamp(), $1
      FROM good
    RETURNING 1
), uses AS (
    INSERT INTO parcel_land_uses (parcel_version_id, land_use_code, area_m2, province_code)
    SELECT version_id, land_use, round(coalesce(declared_area, legal_area)::numeric, 1), $1 FROM good
    RETURNING 1
), runs AS (
    -- (Every writing CTE runs to its end whether or not it is read.)
    SELECT parcel_id AS id, parcel_id - row_number() OVER (ORDER BY parcel_id) AS run FROM good
)
SELECT min(id) AS first, max(id) AS last FROM runs GROUP BY run ORDER BY first
