-- One zone of a plan, geometry from GeoJSON in WGS 84 ($4); returns its id.
INSERT INTO planning_zones (plan_id, land_use_code, name, geom, source_crs_epsg, is_synthetic, created_at)
VALUES ($1, $2, $3, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($4), 4326)), $5, $6, clock_timestamp())
RETURNING id
