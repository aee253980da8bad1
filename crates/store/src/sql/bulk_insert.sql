-- Bulk load of measured parcels of province $7: identities, first versions and their single
-- land use (the versions and land uses in the province's partitions).
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::text[], $5::float8[], $6::text[])
        AS t(national_id, sheet_no, parcel_no, geojson, legal_area_m2, land_use)
), identities AS (
    INSERT INTO parcels (national_id, province_code)
    SELECT national_id, $7 FROM input
    ON CONFLICT (national_id) DO NOTHING
    RETURNING id, national_id
), versions AS (
    INSERT INTO parcel_versions (parcel_id, version, commune_id, registered_commune_id, sheet_no, parcel_no,
                                 geom, source_crs_epsg, legal_area_m2, change_reason, is_synthetic, province_code)
    SELECT i.id, 1, $8, $8, input.sheet_no, input.parcel_no,
           ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(input.geojson), 4326)), $9,
           round(input.legal_area_m2::numeric, 1), 'synthetic benchmark data', true, $7
      FROM identities i JOIN input USING (national_id)
    RETURNING id, parcel_id
), uses AS (
    INSERT INTO parcel_land_uses (parcel_version_id, land_use_code, area_m2, province_code)
    SELECT v.id, input.land_use, round(input.legal_area_m2::numeric, 1), $7
      FROM versions v JOIN identities i ON i.id = v.parcel_id JOIN input USING (national_id)
    RETURNING 1
)
SELECT count(*) AS n FROM uses
