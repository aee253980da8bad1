-- What the service's role (diachinh_app, granted to the login it connects as) may do in this
-- database; applied after every migration run, so new tables are covered. It owns nothing,
-- so it cannot alter tables or disable their triggers; it is no superuser, so it cannot set
-- session_replication_role or COPY to a program.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'diachinh_app') THEN
        CREATE ROLE diachinh_app NOLOGIN;
    END IF;
END $$;
GRANT USAGE ON SCHEMA public TO diachinh_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO diachinh_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO diachinh_app;
-- The audit log is append-only for the service; the chain head is the trigger's alone.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM diachinh_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_chain_head FROM diachinh_app;
-- Reference and bookkeeping tables the service only reads.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON spatial_ref_sys, __diesel_schema_migrations FROM diachinh_app;
-- Reference tables loaded by the owner from sample-data/ (restriction-blocks.csv,
-- change-rules.csv, issuing-authorities.csv): the service only reads them.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON restriction_blocks, change_rules, issuing_authorities FROM diachinh_app;
-- The provinces' boxes that public reads prune by (migration 000023) are the database's own:
-- a box made smaller would hide parcels from every public read.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON province_extents FROM diachinh_app;
-- A consent, once recorded for a dossier, stands as given.
REVOKE UPDATE, DELETE, TRUNCATE ON restriction_consents FROM diachinh_app;
-- Partitions (migration 000022: a province's versions and land uses) are reached through their
-- root only, where every guard of the table applies (GRANT ON ALL TABLES above included them).
DO $$
DECLARE
    part regclass;
BEGIN
    FOR part IN SELECT c.oid::regclass FROM pg_class c
                 WHERE c.relnamespace = 'public'::regnamespace AND c.relispartition AND c.relkind IN ('r', 'p') LOOP
        EXECUTE format('REVOKE ALL ON %s FROM diachinh_app', part);
    END LOOP;
END $$;
-- Federation (migration 000020): the scope is the owner's; a national node's service writes nothing.
DO $$
BEGIN
    IF to_regprocedure('federation_service_rights()') IS NOT NULL THEN
        PERFORM federation_service_rights();
    END IF;
END $$;
