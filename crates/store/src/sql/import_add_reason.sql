-- One more reason (code $2, text $3) for staged feature $1.
UPDATE import_staging
   SET codes = codes || $2::text, reasons = reasons || $3::text
 WHERE seq = $1
