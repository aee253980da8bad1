-- Working-day calendar kept as data: each year's government decision (days off, Saturdays
-- swapped into working days) is editable by an admin without a release.
CREATE TABLE calendar_days (
    day  date PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('off', 'working', 'tet')),
    note text NOT NULL DEFAULT ''
);

-- The statutory clock of a dossier: when it started (a complete dossier; after the office's
-- cut-off it starts the next working day), pauses, and whether the commune is remote.
ALTER TABLE dossiers
    ADD COLUMN remote_commune boolean NOT NULL DEFAULT false,
    ADD COLUMN paused_since   timestamptz,
    ADD COLUMN decided_at     timestamptz,
    ADD COLUMN result_ready_at timestamptz;

-- Receipt numbers run per province and day: 92.261123.0001.
CREATE TABLE receipt_counters (
    province_code text NOT NULL CHECK (province_code ~ '^[0-9]{2}$'),
    day           date NOT NULL,
    last_no       integer NOT NULL CHECK (last_no > 0),
    PRIMARY KEY (province_code, day)
);

CREATE TABLE dossier_pauses (
    id         bigserial PRIMARY KEY,
    dossier_id bigint NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    reason     text NOT NULL CHECK (reason IN ('supplement', 'financial_obligation')),
    from_day   date NOT NULL,
    to_day     date,
    CHECK (to_day IS NULL OR to_day >= from_day)
);
CREATE INDEX dossier_pauses_dossier ON dossier_pauses (dossier_id);

-- Submitted documents listed on the receipt slip.
CREATE TABLE dossier_documents (
    dossier_id bigint NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    position   integer NOT NULL CHECK (position > 0),
    title      text NOT NULL CHECK (length(title) > 0),
    copies     integer NOT NULL DEFAULT 1 CHECK (copies > 0),
    PRIMARY KEY (dossier_id, position)
);

-- Certificates: registry book numbers run per issuing office (province) and year.
ALTER TABLE certificates
    ADD COLUMN registry_year integer,
    ADD COLUMN dossier_id bigint REFERENCES dossiers (id) ON DELETE RESTRICT,
    ADD COLUMN revoked_at timestamptz,
    ADD COLUMN revoked_reason text,
    ADD COLUMN content jsonb;
UPDATE certificates SET registry_year = extract(year FROM issued_on)::int;
ALTER TABLE certificates ALTER COLUMN registry_year SET NOT NULL;
ALTER TABLE certificates DROP CONSTRAINT certificates_province_code_registry_no_key;
ALTER TABLE certificates ADD CONSTRAINT certificates_registry_unique UNIQUE (province_code, registry_year, registry_no);
ALTER TABLE certificates ADD CONSTRAINT certificates_revocation CHECK ((status = 'revoked') = (revoked_at IS NOT NULL));

CREATE TABLE registry_counters (
    province_code text NOT NULL CHECK (province_code ~ '^[0-9]{2}$'),
    year          integer NOT NULL,
    last_no       integer NOT NULL CHECK (last_no >= 0),
    PRIMARY KEY (province_code, year)
);

-- Public keys of the offices' Ed25519 signing keys, for offline verification of QR payloads.
CREATE TABLE signing_keys (
    key_id        text PRIMARY KEY,
    province_code text NOT NULL CHECK (province_code ~ '^[0-9]{2}$'),
    public_key    bytea NOT NULL CHECK (length(public_key) = 32),
    created_at    timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE certificates ADD COLUMN key_id text REFERENCES signing_keys (key_id) ON DELETE RESTRICT;

-- One current use right per parcel (co-holders share it through rrr_shares): with the partial
-- unique index on certificates this makes a double certificate impossible even when two
-- issuances race, each trying to create its own right.
CREATE UNIQUE INDEX rrrs_one_current_use_right ON rrrs (parcel_id) WHERE kind = 'use_right' AND valid_to IS NULL;
