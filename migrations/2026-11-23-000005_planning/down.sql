DROP TABLE planning_zones;
DROP TABLE planning_plans;
