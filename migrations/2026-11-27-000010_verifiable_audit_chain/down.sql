-- Back to format 1 (migration 000003): a sequence for ids, the advisory lock, and the format-1
-- hash. Entries are re-chained under format 1 in id order so that the old rule holds again; the
-- append-only trigger is disabled for the rewrite and enabled right after (see up.sql).
DROP TRIGGER audit_chain_head_no_delete ON audit_chain_head;
DROP TABLE audit_chain_head;

CREATE SEQUENCE audit_log_id_seq OWNED BY audit_log.id;
SELECT setval('audit_log_id_seq', coalesce(max(id), 0) + 1, false) FROM audit_log;
ALTER TABLE audit_log ALTER COLUMN id SET DEFAULT nextval('audit_log_id_seq');

CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('audit_log_chain'));
    SELECT hash INTO NEW.prev_hash FROM audit_log ORDER BY id DESC LIMIT 1;
    NEW.hash := sha256(
        coalesce(NEW.prev_hash, '\x'::bytea)
        || convert_to(concat_ws('|', NEW.id, NEW.at, NEW.actor, NEW.action, NEW.entity,
                                NEW.entity_id, NEW.before::text, NEW.after::text), 'UTF8'));
    RETURN NEW;
END $$;

ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
DO $$
DECLARE
    r record;
    prev bytea := NULL;
BEGIN
    FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
        UPDATE audit_log
           SET prev_hash = prev,
               hash = sha256(coalesce(prev, '\x'::bytea)
                   || convert_to(concat_ws('|', r.id, r.at, r.actor, r.action, r.entity,
                                           r.entity_id, r.before::text, r.after::text), 'UTF8'))
         WHERE id = r.id
        RETURNING hash INTO prev;
    END LOOP;
END $$;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;

DROP FUNCTION audit_entry_hash_v2(bytea, bigint, timestamptz, integer, text, text, text, text, jsonb, jsonb);
DROP FUNCTION audit_field(text);
