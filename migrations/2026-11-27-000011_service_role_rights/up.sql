-- The service connects as a login role that owns nothing (store::roles, sql/grants.sql): it may
-- append to the audit log but may not touch the chain head. The chain trigger moves the head
-- with its owner's rights, and a fixed search_path keeps those rights from being borrowed.
ALTER FUNCTION audit_log_chain() SECURITY DEFINER SET search_path = pg_catalog, public;
