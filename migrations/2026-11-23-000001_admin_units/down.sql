DROP TABLE land_use_types;
DROP TABLE admin_unit_predecessors;
DROP TABLE admin_units;
