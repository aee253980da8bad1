-- Registers unused blanks: prefix $1 + 8-digit numbers $3..=$4, in province $2.
INSERT INTO certificate_blanks (serial, province_code)
SELECT $1 || lpad(n::text, 8, '0'), $2 FROM generate_series($3::integer, $4::integer) AS n
