SELECT planning_zone_tile($1, $2, $3, $4)
