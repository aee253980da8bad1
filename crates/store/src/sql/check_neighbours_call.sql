SELECT id, code, geometry FROM check_neighbours($1, $2, $3)
