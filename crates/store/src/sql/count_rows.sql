-- The number of rows of table $1 (a name, quoted with %I): query_to_xml runs the count the
-- name calls for, so no SQL is assembled outside this file.
SELECT ((xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I', $1), false, true, '')))[1])::text::bigint AS n
