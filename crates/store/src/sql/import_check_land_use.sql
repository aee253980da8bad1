-- Land-use codes the catalogue does not know (POST /parcels refuses them by the foreign key).
UPDATE import_staging s
   SET codes = s.codes || 'unknown_land_use'::text,
       reasons = s.reasons || format('the land-use code %s is not in the catalogue (land_use_types)', s.land_use)
 WHERE s.geom IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM land_use_types t WHERE t.code = s.land_use)
