-- What a parcel tile ($1 zoom, $2 x, $3 y) is built from, for its ETag: how many parcel
-- versions, current or retired, lie in its (buffered) envelope and when the latest of them
-- opened or closed. Every edit closes a version (valid_to) and opens one (valid_from), and a
-- version moved out of the tile still sits here with its valid_to: any change in the tile
-- moves the stamp, so a conditional GET after an edit gets the new tile. Only the partitions of
-- provinces whose box (province_extents) meets the envelope are read (see
-- parcel_page_current_bbox.sql).
WITH bounds AS (
    SELECT ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326) AS env4326
)
SELECT count(*) AS n,
       coalesce(max(greatest(v.valid_from, v.valid_to)), 'epoch'::timestamptz) AS changed
  FROM bounds
  JOIN province_extents e
    ON e.west <= ST_XMax(bounds.env4326) AND e.east >= ST_XMin(bounds.env4326)
   AND e.south <= ST_YMax(bounds.env4326) AND e.north >= ST_YMin(bounds.env4326)
 CROSS JOIN LATERAL (SELECT v.valid_from, v.valid_to FROM parcel_versions v
                      WHERE v.province_code = e.province_code AND v.geom && bounds.env4326
                     OFFSET 0) v
