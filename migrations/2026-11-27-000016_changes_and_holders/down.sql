DROP TABLE rrr_changes;
DROP TABLE issuing_authorities;
DROP TABLE change_rules;
ALTER TABLE rrr_shares DROP COLUMN ord;
DROP TABLE party_members;
ALTER TABLE parties DROP COLUMN title;
ALTER TABLE parties DROP CONSTRAINT parties_kind_check;
ALTER TABLE parties ADD CONSTRAINT parties_kind_check CHECK (kind IN ('person', 'household', 'organisation'));
