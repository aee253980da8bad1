-- One Mapbox Vector Tile of current parcels at $1 zoom, $2 x, $3 y (XYZ, Web Mercator).
-- Properties are chosen per zoom (domain::tiles::Layer::fields): below 16 only the id and the
-- main land use, so a z14 tile of a dense phường stays small. ST_AsMVT leaves NULL properties
-- out. The envelope test (&&) runs on the 4326 tile envelope with the same 64/4096 buffer that
-- ST_AsMVTGeom keeps, so the partial GiST index on current versions finds the rows, in the
-- partitions of the provinces whose box (province_extents) meets it (see
-- parcel_page_current_bbox.sql).
-- No `WHERE geom IS NOT NULL` on the result: ST_AsMVT skips NULL geometries by itself, and
-- the filter, pushed down into the inlined CTE, computed ST_AsMVTGeom twice (migration 000026).
WITH bounds AS (
    SELECT ST_TileEnvelope($1, $2, $3) AS env,
           ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326) AS env4326
), features AS (
    SELECT v.parcel_id AS fid,
           p.national_id,
           (SELECT lu.land_use_code FROM parcel_land_uses lu WHERE lu.parcel_version_id = v.id AND lu.province_code = v.province_code
             ORDER BY lu.area_m2 DESC, lu.land_use_code LIMIT 1) AS land_use,
           CASE WHEN $1 >= 16 THEN c.code END AS commune,
           CASE WHEN $1 >= 16 THEN v.sheet_no END AS sheet,
           CASE WHEN $1 >= 16 THEN v.parcel_no END AS parcel,
           CASE WHEN $1 >= 17 THEN v.legal_area_m2::float8 END AS area_m2,
           ST_AsMVTGeom(ST_Transform(v.geom, 3857), bounds.env, 4096, 64, true) AS geom
      FROM bounds
      JOIN province_extents e
        ON e.west <= ST_XMax(bounds.env4326) AND e.east >= ST_XMin(bounds.env4326)
       AND e.south <= ST_YMax(bounds.env4326) AND e.north >= ST_YMin(bounds.env4326)
     CROSS JOIN LATERAL (SELECT v.* FROM parcel_versions v
                          WHERE v.province_code = e.province_code AND v.geom && bounds.env4326 AND v.valid_to IS NULL
                         OFFSET 0) v
      JOIN parcels p ON p.id = v.parcel_id AND p.province_code = v.province_code
     CROSS JOIN LATERAL (SELECT c.code FROM admin_units c WHERE c.id = v.commune_id OFFSET 0) c
)
SELECT ST_AsMVT(features, 'parcels', 4096, 'geom', 'fid') AS tile FROM features
