-- Back to the login's own statement limit before the pooled session serves anything else.
RESET statement_timeout;
