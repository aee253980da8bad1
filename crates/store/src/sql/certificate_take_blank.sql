-- Takes the province's next unused blank. SKIP LOCKED: concurrent issuances each get their
-- own blank instead of queueing on the first; a blank taken by a transaction that rolls back
-- is unlocked again and stays unused.
UPDATE certificate_blanks SET status = 'issued'
 WHERE serial = (SELECT serial FROM certificate_blanks
                  WHERE province_code = $1 AND status = 'unused'
                  ORDER BY serial LIMIT 1
                  FOR UPDATE SKIP LOCKED)
RETURNING serial
