-- Features found outside their commune, with a point on each, in the file's own coordinates
-- (to see whether another TM-3 zone would put them inside).
SELECT seq, ST_X(p) AS x, ST_Y(p) AS y
  FROM (SELECT seq, ST_PointOnSurface(ST_GeomFromGeoJSON(src)) AS p
          FROM import_staging
         WHERE 'outside_commune' = ANY (codes)) o
 ORDER BY seq
