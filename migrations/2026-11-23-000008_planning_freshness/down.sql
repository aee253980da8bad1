DROP INDEX planning_plans_unit;
ALTER TABLE planning_zones DROP COLUMN created_at;
ALTER TABLE planning_plans DROP COLUMN updated_at, DROP COLUMN is_synthetic;
