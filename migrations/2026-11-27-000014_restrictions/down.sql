DROP TRIGGER restrictions_not_blocked ON rrrs;
DROP TRIGGER certificates_not_blocked ON certificates;
DROP FUNCTION refuse_blocked_write();
DROP FUNCTION restriction_blockers(bigint, text, bigint);
DROP TABLE restriction_consents;
DROP TABLE restriction_blocks;
ALTER TABLE procedures DROP CONSTRAINT procedures_restriction_kind, DROP COLUMN restriction_kind, DROP COLUMN outcome;
ALTER TABLE rrrs ADD COLUMN blocking boolean NOT NULL DEFAULT false;
DROP INDEX rrrs_registered_once;
ALTER TABLE rrrs
    DROP CONSTRAINT rrrs_ended_has_reason,
    DROP CONSTRAINT rrrs_term_order,
    DROP CONSTRAINT rrrs_mortgage_fields,
    DROP COLUMN carried_from_id,
    DROP COLUMN ended_reason,
    DROP COLUMN released_dossier_id,
    DROP COLUMN registered_dossier_id,
    DROP COLUMN documents,
    DROP COLUMN term_end,
    DROP COLUMN term_start,
    DROP COLUMN secured_amount,
    DROP COLUMN reference_no,
    DROP COLUMN counterparty,
    DROP COLUMN legal_basis;
ALTER TABLE rrrs DROP CONSTRAINT rrrs_kind_check;
ALTER TABLE rrrs ADD CONSTRAINT rrrs_kind_check CHECK (kind IN ('use_right', 'mortgage', 'lease', 'restriction', 'dispute'));
