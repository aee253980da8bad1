DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP FUNCTION audit_log_chain();
DROP TABLE api_tokens;
DROP TABLE users;
