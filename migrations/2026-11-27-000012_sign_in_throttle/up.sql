-- Failed sign-ins, counted per account name and per client address so the throttle holds across
-- workers and instances. Rows older than the throttle's window are swept as new ones arrive; a
-- successful sign-in (or a password reset) stops its account's rows counting for the account,
-- not for the address. No password is ever stored here.
CREATE TABLE sign_in_failures (
    id        bigserial PRIMARY KEY,
    -- The account name as typed (it may name no account: probing is throttled too).
    username  text NOT NULL CHECK (length(username) <= 256),
    -- The client's address as the server saw it (the peer, unless a proxy is trusted).
    client    text NOT NULL CHECK (length(client) <= 64),
    at        timestamptz NOT NULL DEFAULT now(),
    -- False once the account has signed in (or been reset) since: the row counts for the
    -- address only.
    counts_for_account boolean NOT NULL DEFAULT true
);
CREATE INDEX sign_in_failures_username ON sign_in_failures (username, at) WHERE counts_for_account;
CREATE INDEX sign_in_failures_client ON sign_in_failures (client, at);
CREATE INDEX sign_in_failures_at ON sign_in_failures (at);
