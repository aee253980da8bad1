-- The tracking code (mã tra cứu): a short secret printed on the receipt slip. Public tracking
-- needs the receipt number AND this code, so sequential receipt numbers cannot be walked.
-- Six characters from an alphabet without look-alikes (no 0/O, 1/I/L): 31^6 ≈ 8.9·10^8
-- codes. Kept as is (not hashed): staff reprint the slip, and the code only opens the
-- public tracking view, which shows nothing the staff tables do not.
ALTER TABLE dossiers ADD COLUMN tracking_code text;

-- Dossiers received before this migration get a random code each (gen_random_uuid is
-- cryptographically random; the subquery refers to the row so it runs once per row).
UPDATE dossiers d
   SET tracking_code = (
       SELECT string_agg(substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', 1 + get_byte(r.b, i) % 31, 1), '' ORDER BY i)
         FROM (SELECT uuid_send(gen_random_uuid()) AS b WHERE d.id IS NOT NULL) r,
              generate_series(0, 5) AS i);

ALTER TABLE dossiers
    ALTER COLUMN tracking_code SET NOT NULL,
    ADD CONSTRAINT dossiers_tracking_code_format CHECK (tracking_code ~ '^[2-9A-HJKMNP-Z]{6}$');
