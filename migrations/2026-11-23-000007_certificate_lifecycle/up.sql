-- Cấp lại / cấp đổi: a replacement certificate covers the same right as the one it replaces.
-- `certificates_one_valid_per_right` lets only one of them be valid, and the old row must name
-- its successor (replaced_by_id) in the same statement that stops it being valid; so the
-- successor's id is reserved first and the link is checked at commit (SET CONSTRAINTS … DEFERRED
-- inside that one transaction; everywhere else the check stays immediate).
ALTER TABLE certificates ALTER CONSTRAINT certificates_replaced_by_id_fkey DEFERRABLE INITIALLY IMMEDIATE;

-- The next unused blank of a province is taken with FOR UPDATE SKIP LOCKED in serial order.
CREATE INDEX certificate_blanks_unused ON certificate_blanks (province_code, serial) WHERE status = 'unused';
