-- Reserves the next certificate id.
SELECT nextval(pg_get_serial_sequence('certificates', 'id')) AS id
