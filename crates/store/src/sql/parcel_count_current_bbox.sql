-- parcels_page() (migration 000018): current parcels meeting the bbox $1..$4, counted up to
-- $7 + 1 (more than $7: too many to count cheaply, numberMatched is left out).
SELECT count(*) FROM (SELECT 1 FROM province_extents e
                        CROSS JOIN LATERAL (SELECT 1 FROM parcel_versions v
                                             WHERE v.province_code = e.province_code AND v.valid_to IS NULL
                                               AND ST_Intersects(v.geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))
                                            OFFSET 0) v
                       WHERE e.west <= $3 AND e.east >= $1 AND e.south <= $4 AND e.north >= $2
                       LIMIT $7 + 1) AS hits
