-- Overlaps with current parcels as sql/overlaps.sql finds them for one registration: interiors
-- meet (ST_Relate '2********', which lets neighbours sharing an edge through) and the overlap
-- is larger than the sliver tolerance $1 (m², on the ellipsoid). The relation is settled first
-- (materialised) so that the costly intersection is computed for overlapping pairs only.
-- $2: the provinces with a current parcel near the delivery (import_register_provinces_near.sql);
-- only their partitions can hold an overlap, and naming them spares every feature a probe of
-- each other province's index.
WITH pairs AS MATERIALIZED (
    SELECT f.seq, f.geom AS a, v.geom AS b, v.parcel_id
      FROM import_staging f
      JOIN parcel_versions v
        ON v.province_code = ANY ($2) AND v.valid_to IS NULL AND v.geom && f.geom
           AND ST_Relate(v.geom, f.geom, '2********')
     WHERE f.geom IS NOT NULL
), measured AS (
    SELECT seq, parcel_id, ST_Area(ST_Intersection(a, b)::geography) AS area FROM pairs
)
UPDATE import_staging s
   SET codes = s.codes || 'overlaps_register'::text,
       reasons = s.reasons || o.what
  FROM (SELECT x.seq,
               string_agg(format('overlaps parcel %s by %s m²', p.national_id, round(x.area::numeric, 2)), '; '
                          ORDER BY p.national_id) AS what
          FROM measured x JOIN parcels p ON p.id = x.parcel_id
         WHERE x.area > $1
         GROUP BY x.seq) o
 WHERE o.seq = s.seq
