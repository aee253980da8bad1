-- Appended to parcel_select.sql: current parcels containing the WGS 84 point ($1 lon, $2 lat).
 WHERE v.valid_to IS NULL
   AND ST_Intersects(v.geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))
 ORDER BY v.parcel_id
 LIMIT 10
