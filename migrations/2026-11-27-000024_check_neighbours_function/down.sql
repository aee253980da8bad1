DROP FUNCTION check_neighbours(text, bigint, float8);
