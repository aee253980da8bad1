-- The audit chain, format 2: appends serialised on one chain head, ids assigned in chain order,
-- and a hash over an unambiguous encoding of every column, which `diachinh audit verify`
-- recomputes in Rust (crates/domain/src/audit.rs holds the same encoding; keep them in step).
--
-- What was wrong with format 1 (migration 000003): concat_ws skipped NULLs (before/after could
-- be swapped without changing the hash), actor_id was not hashed, `at` was printed in the
-- session's time zone, and ids were drawn from a sequence before the lock while the trigger
-- linked to the highest id, so two concurrent writers could leave the chain out of id order.

-- The one chain head. Its row lock (FOR UPDATE in the trigger) serialises appends until the
-- appending transaction ends; a rollback undoes the head together with the entry, so ids are
-- dense and follow the chain.
CREATE TABLE audit_chain_head (
    one         boolean PRIMARY KEY DEFAULT true CHECK (one),
    last_id     bigint NOT NULL CHECK (last_id >= 0),
    last_hash   bytea CHECK (length(last_hash) = 32),
    -- Entries up to this id were written before this migration, with ids from a sequence that a
    -- rolled-back transaction could skip: gaps there are not tampering. Later ids are dense.
    dense_after bigint NOT NULL CHECK (dense_after >= 0),
    CHECK ((last_id = 0) = (last_hash IS NULL))
);

-- One field: NULL is `N;`, a value is `<octet length>:<UTF-8 bytes>;`. A length starts with a
-- digit, so NULL and '' ('0:;') and 'N' ('1:N;') differ, and no field can run into the next.
CREATE FUNCTION audit_field(v text) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN v IS NULL THEN convert_to('N;', 'UTF8')
                ELSE convert_to(octet_length(convert_to(v, 'UTF8'))::text || ':', 'UTF8')
                     || convert_to(v, 'UTF8') || convert_to(';', 'UTF8') END
$$;

-- sha256('diachinh-audit-v2;' || field(prev_hash as lowercase hex) || field(id) || field(at)
--        || field(actor_id) || field(actor) || field(action) || field(entity)
--        || field(entity_id) || field(before) || field(after)).
-- `at` is printed in UTC with microseconds whatever the session's TimeZone. before/after are
-- jsonb's text output, which is a function of the stored value alone: keys sorted (by length,
-- then bytes) without duplicates, ', ' and ': ' separators, numbers as numeric prints them.
CREATE FUNCTION audit_entry_hash_v2(
    prev_hash bytea, id bigint, at timestamptz, actor_id integer, actor text, action text,
    entity text, entity_id text, before jsonb, after jsonb
) RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT sha256(
        convert_to('diachinh-audit-v2;', 'UTF8')
        || audit_field(encode(prev_hash, 'hex'))
        || audit_field(id::text)
        || audit_field(to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
        || audit_field(actor_id::text)
        || audit_field(actor)
        || audit_field(action)
        || audit_field(entity)
        || audit_field(entity_id)
        || audit_field(before::text)
        || audit_field(after::text))
$$;

-- Ids come from the chain head alone (the trigger assigns them), not from a sequence that a
-- writer draws before it holds the lock.
ALTER TABLE audit_log ALTER COLUMN id DROP DEFAULT;
DROP SEQUENCE audit_log_id_seq;

CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head audit_chain_head%ROWTYPE;
BEGIN
    -- Held until the appending transaction ends: the next writer waits here, then reads the
    -- head this one left (READ COMMITTED re-reads the locked row).
    SELECT * INTO STRICT head FROM audit_chain_head FOR UPDATE;
    NEW.id := head.last_id + 1;
    NEW.prev_hash := head.last_hash;
    NEW.hash := audit_entry_hash_v2(NEW.prev_hash, NEW.id, NEW.at, NEW.actor_id, NEW.actor, NEW.action,
                                    NEW.entity, NEW.entity_id, NEW.before, NEW.after);
    UPDATE audit_chain_head SET last_id = NEW.id, last_hash = NEW.hash;
    RETURN NEW;
END $$;

-- The head is moved by the chain trigger only (an UPDATE); it is never deleted.
CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE OR TRUNCATE ON audit_chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Existing entries are re-chained under format 2, in id order, keeping their ids. Their format-1
-- hashes could not be checked by anyone (ambiguous and time-zone dependent), so nothing
-- verifiable is lost, and the old head hash is kept in an entry appended through the new
-- trigger. The rewrite updates rows, which the append-only trigger forbids: it is disabled for
-- the rewrite and enabled again right after, inside this migration's transaction (ALTER TABLE
-- holds an exclusive lock on audit_log until commit, so no other session sees or writes the log
-- unguarded).
ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
DO $$
DECLARE
    r record;
    prev bytea := NULL;
    prev_id bigint := 0;
    n bigint := 0;
    legacy_head bytea;
BEGIN
    SELECT hash INTO legacy_head FROM audit_log ORDER BY id DESC LIMIT 1;
    FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
        UPDATE audit_log
           SET prev_hash = prev,
               hash = audit_entry_hash_v2(prev, r.id, r.at, r.actor_id, r.actor, r.action, r.entity,
                                          r.entity_id, r.before, r.after)
         WHERE id = r.id
        RETURNING hash INTO prev;
        prev_id := r.id;
        n := n + 1;
    END LOOP;
    INSERT INTO audit_chain_head (last_id, last_hash, dense_after) VALUES (prev_id, prev, prev_id);
    IF n > 0 THEN
        INSERT INTO audit_log (actor_id, actor, action, entity, entity_id, before, after)
        VALUES (NULL, 'migration', 'audit.rechain', 'audit_log', '2026-11-27-000010', NULL,
                jsonb_build_object('format', 2, 'rechained_entries', n,
                                   'format1_head_hash', encode(legacy_head, 'hex')));
    END IF;
END $$;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;
