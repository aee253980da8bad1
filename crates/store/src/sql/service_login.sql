-- Creates or updates the login the service connects as, a member of diachinh_app (whose rights
-- are sql/grants.sql). Its name, password and statement timeout come in as transaction-local
-- settings (diachinh.login, diachinh.password, diachinh.statement_timeout): a DO block takes
-- no parameters, and format() quotes them.
DO $$
DECLARE
    login text := current_setting('diachinh.login');
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'diachinh_app') THEN
        CREATE ROLE diachinh_app NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = login) THEN
        EXECUTE format('CREATE ROLE %I LOGIN', login);
    END IF;
    EXECUTE format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS '
                   'INHERIT PASSWORD %L', login, current_setting('diachinh.password'));
    EXECUTE format('GRANT diachinh_app TO %I', login);
    EXECUTE format('ALTER ROLE %I SET statement_timeout = %L', login, current_setting('diachinh.statement_timeout'));
    -- A login made after a national node's scope starts read-only too (migration 000020).
    IF to_regprocedure('federation_service_rights()') IS NOT NULL THEN
        PERFORM federation_service_rights();
    END IF;
END $$;
