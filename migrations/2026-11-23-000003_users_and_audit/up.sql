-- Staff accounts. Each account is bound to a province (admin: all provinces).
CREATE TABLE users (
    id            serial PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9._-]{3,64}$'),
    full_name     text NOT NULL,
    -- argon2id PHC string.
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('officer', 'approver', 'planner', 'admin')),
    province_code text CHECK (province_code ~ '^[0-9]{2}$'),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'admin') OR (province_code IS NOT NULL))
);

-- Opaque bearer tokens, stored as SHA-256 so a database leak does not leak sessions.
CREATE TABLE api_tokens (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id    integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    CHECK (expires_at > created_at)
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Append-only, hash-chained record of every write.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    -- Kept as text as well as id so that the record survives the account.
    actor_id    integer REFERENCES users (id) ON DELETE SET NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    entity      text NOT NULL,
    entity_id   text NOT NULL,
    before      jsonb,
    after       jsonb,
    prev_hash   bytea,
    hash        bytea NOT NULL
);

-- The chain is computed in the database so no writer can forget or forge a link; the advisory
-- lock serialises appends so two transactions never chain onto the same predecessor.
CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('audit_log_chain'));
    SELECT hash INTO NEW.prev_hash FROM audit_log ORDER BY id DESC LIMIT 1;
    NEW.hash := sha256(
        coalesce(NEW.prev_hash, '\x'::bytea)
        || convert_to(concat_ws('|', NEW.id, NEW.at, NEW.actor, NEW.action, NEW.entity,
                                NEW.entity_id, NEW.before::text, NEW.after::text), 'UTF8'));
    RETURN NEW;
END $$;
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
