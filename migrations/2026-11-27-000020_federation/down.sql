DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT tgrelid::regclass AS rel, tgname FROM pg_trigger
              WHERE tgname IN ('federation_read_only', 'federation_province') LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.rel);
    END LOOP;
END $$;
DROP FUNCTION federation_status();
DROP FUNCTION federation_subscription_statements(text, text);
DROP FUNCTION federation_publish(text, text);
DROP FUNCTION federation_node();
DROP FUNCTION federation_reference_fingerprint();
DROP FUNCTION federation_apply_scope(text, text);
DROP FUNCTION federation_install_guards();
DROP FUNCTION federation_service_rights();
DROP FUNCTION federation_check_province();
DROP FUNCTION federation_refuse_write();
DROP FUNCTION federation_id_base(text, boolean);
DROP FUNCTION federation_unclassified();
ALTER TABLE audit_chain_head DROP CONSTRAINT audit_chain_head_check;
ALTER TABLE audit_chain_head ADD CONSTRAINT audit_chain_head_check CHECK ((last_id = 0) = (last_hash IS NULL));
DROP TABLE federation_tables;
DROP TABLE federation_scope;
