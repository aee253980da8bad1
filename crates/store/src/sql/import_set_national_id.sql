UPDATE import_staging SET national_id = $2 WHERE seq = $1
