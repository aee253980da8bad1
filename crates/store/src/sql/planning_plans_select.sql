-- Plans with their unit and number of zones. Filters, each NULL for "any": $1 plan id,
-- $2 plan ids (array), $3 admin unit id, $4 level, $5 status.
SELECT pl.id, pl.level, pl.admin_unit_id, u.code AS unit_code, u.name AS unit_name, u.province_code,
       pl.name, pl.period_start, pl.period_end, pl.decision_no, pl.decision_date, pl.status, pl.is_synthetic,
       pl.created_at, pl.updated_at,
       (SELECT count(*) FROM planning_zones z WHERE z.plan_id = pl.id) AS zone_count
  FROM planning_plans pl
  JOIN admin_units u ON u.id = pl.admin_unit_id
 WHERE ($1::int IS NULL OR pl.id = $1)
   AND ($2::int[] IS NULL OR pl.id = ANY($2))
   AND ($3::int IS NULL OR pl.admin_unit_id = $3)
   AND ($4::text IS NULL OR pl.level = $4)
   AND ($5::text IS NULL OR pl.status = $5)
 ORDER BY pl.level, pl.id
