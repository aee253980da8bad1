ALTER FUNCTION audit_log_chain() SECURITY INVOKER RESET search_path;
