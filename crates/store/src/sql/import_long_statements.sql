-- For the importing session, until import_statement_limit_reset.sql: one COPY of a whole delivery
-- and the set-wise checks over it may outlast the service's 30 s statement limit
-- (service_login.sql); an upload's size bounds them.
SET statement_timeout = '30min';
