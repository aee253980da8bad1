-- Serials of a prefix and number range already on record, as blanks or as certificates
-- (older certificates may have no blank record). Compared as prefix + integer, not as text,
-- so the database's collation cannot reorder them.
SELECT serial FROM (
    SELECT serial FROM certificate_blanks
    UNION
    SELECT serial FROM certificates
) s
 WHERE length(serial) = char_length($1) + 8 AND left(serial, char_length($1)) = $1
   AND right(serial, 8) ~ '^[0-9]{8}$' AND right(serial, 8)::integer BETWEEN $2 AND $3
 ORDER BY serial
 LIMIT 20
