-- The certificate check's two slow reads, as the service sends them, at 1,000,000 parcels
-- from one client (pgbench, the 300 requests of bench-check, 200-vertex polygons):
--
-- check_neighbours (000024) runs in a generic plan, where nothing is folded to a constant: its
-- CTEs, inlined, parsed the request GeoJSON and cast it to geography once per candidate row
-- rather than once per call: 6.9-7.0 ms a call. Both CTEs are now MATERIALIZED: 0.65 ms, the
-- same rows. The parse needs a CTE of its own: as a subquery under one MATERIALIZED CTE it is
-- pulled up and runs once per use of its column (0.84 ms).
--
-- The registered parcel by national id (store::parcels::current_by_national_id) went through
-- diesel's sql_query, unnamed, so it was planned over the 34 partitions of parcel_versions and
-- of parcel_land_uses on every call: 2.6 ms. parcel_current runs the same statement in a plan
-- cached per session, pruned at run time to the parcel's province (parcels first by national
-- id, then its version and land uses by id and province): 0.24 ms. PL/pgSQL, as
-- check_neighbours: a SQL function returning a table may be inlined into the calling
-- statement, and then it is planned with it on every call.
--
-- Bodies as in crates/store/src/sql/ (check_neighbours.sql; parcel_select.sql followed by
-- parcel_by_id_filter.sql); a test compares them.

CREATE OR REPLACE FUNCTION check_neighbours(text, bigint, float8)
RETURNS TABLE (id text, code text, geometry text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
    WITH c AS MATERIALIZED (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS g),
         near AS MATERIALIZED (SELECT c.g::geography AS gg, ST_Expand(c.g, $3 / 100000.0) AS box FROM c)
    SELECT p.national_id AS id, '' AS code, ST_AsGeoJSON(v.geom, 9) AS geometry
      FROM near
      JOIN province_extents e
        ON e.west <= ST_XMax(near.box) AND e.east >= ST_XMin(near.box)
       AND e.south <= ST_YMax(near.box) AND e.north >= ST_YMin(near.box)
     CROSS JOIN LATERAL (SELECT v.parcel_id, v.province_code, v.geom FROM parcel_versions v
                          WHERE v.province_code = e.province_code AND v.valid_to IS NULL AND v.parcel_id <> $2
                            AND v.geom && near.box AND ST_DWithin(v.geom::geography, near.gg, $3)
                         OFFSET 0) v
      JOIN parcels p ON p.id = v.parcel_id AND p.province_code = v.province_code
     ORDER BY p.national_id
     LIMIT 500;
END
$$;

-- The current version of the parcel with national id $1 (no row when there is none), with
-- the columns of store::parcels::ParcelRow.
CREATE OR REPLACE FUNCTION parcel_current(text)
RETURNS TABLE (parcel_id bigint, version_id bigint, national_id text, province_code text,
               commune_id integer, commune_code text, commune_name text,
               registered_commune_id integer, registered_commune_code text,
               sheet_no integer, parcel_no integer, legal_area_m2 float8, address text,
               version integer, valid_from timestamptz, valid_to timestamptz, change_reason text,
               is_synthetic boolean, source_crs_epsg integer, land_uses text, geometry text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
    SELECT v.parcel_id, v.id AS version_id, p.national_id, p.province_code,
           v.commune_id, c.code AS commune_code, c.name AS commune_name,
           v.registered_commune_id, rc.code AS registered_commune_code,
           v.sheet_no, v.parcel_no, v.legal_area_m2::float8 AS legal_area_m2, v.address,
           v.version, v.valid_from, v.valid_to, v.change_reason, v.is_synthetic, v.source_crs_epsg,
           (SELECT coalesce(json_agg(json_build_object('code', lu.land_use_code, 'area_m2', lu.area_m2,
                                                       'use_until', lu.use_until)
                                     ORDER BY lu.area_m2 DESC, lu.land_use_code), '[]')::text
              FROM parcel_land_uses lu WHERE lu.parcel_version_id = v.id AND lu.province_code = v.province_code) AS land_uses,
           ST_AsGeoJSON(v.geom, 8) AS geometry
      FROM parcel_versions v
      JOIN parcels p ON p.id = v.parcel_id AND p.province_code = v.province_code
      JOIN admin_units c ON c.id = v.commune_id
      JOIN admin_units rc ON rc.id = v.registered_commune_id
     WHERE p.national_id = $1 AND v.valid_to IS NULL;
END
$$;
