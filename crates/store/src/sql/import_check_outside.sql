-- Features sticking out of commune $1 by more than $2 m², measured as for one registration
-- (sql/unit_area_outside.sql). ST_Covers with the boundary first lets PostGIS prepare the
-- boundary once and skip the difference for every feature inside it. No boundary: no check.
UPDATE import_staging s
   SET codes = s.codes || 'outside_commune'::text,
       reasons = s.reasons || format('%s m² of the parcel lie outside commune %s (%s)',
                                     round(o.outside::numeric, 1), o.code, o.name)
  FROM (SELECT f.seq, u.code, u.name, ST_Area(ST_Difference(f.geom, u.boundary)::geography) AS outside
          FROM import_staging f
          JOIN admin_units u ON u.id = $1
         WHERE u.boundary IS NOT NULL
           AND f.geom IS NOT NULL
           AND NOT ST_Covers(u.boundary, f.geom)) o
 WHERE o.seq = s.seq
   AND o.outside > $2
