-- Thủ tục hành chính: the procedure catalogue, kept as data (time limits change by decree).
CREATE TABLE procedures (
    code               text PRIMARY KEY CHECK (code ~ '^[0-9]\.[0-9]{6}$'),
    name               text NOT NULL,
    working_days       integer NOT NULL CHECK (working_days >= 0),
    remote_extra_days  integer NOT NULL DEFAULT 0 CHECK (remote_extra_days >= 0),
    online_level       text NOT NULL CHECK (online_level IN ('full', 'partial', 'none')),
    required_documents jsonb NOT NULL DEFAULT '[]'
);

-- Hồ sơ: a dossier received at the one-stop desk, online or by post.
CREATE TABLE dossiers (
    id                 bigserial PRIMARY KEY,
    receipt_no         text NOT NULL UNIQUE,
    procedure_code     text NOT NULL REFERENCES procedures (code) ON DELETE RESTRICT,
    province_code      text NOT NULL CHECK (province_code ~ '^[0-9]{2}$'),
    commune_id         integer REFERENCES admin_units (id) ON DELETE RESTRICT,
    channel            text NOT NULL CHECK (channel IN ('counter', 'online', 'postal')),
    applicant_party_id bigint NOT NULL REFERENCES parties (id) ON DELETE RESTRICT,
    state              text NOT NULL CHECK (state IN ('received', 'supplement_requested', 'appraising',
                           'approved', 'rejected', 'result_ready', 'returned', 'withdrawn')),
    received_at        timestamptz NOT NULL,
    statutory_days     integer NOT NULL CHECK (statutory_days >= 0),
    due_on             date NOT NULL,
    return_method      text CHECK (return_method IN ('counter', 'postal', 'online')),
    returned_at        timestamptz,
    created_by         integer REFERENCES users (id) ON DELETE SET NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'returned') = (returned_at IS NOT NULL))
);
CREATE INDEX dossiers_state ON dossiers (province_code, state, due_on);

CREATE TABLE dossier_parcels (
    dossier_id bigint NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    parcel_id  bigint NOT NULL REFERENCES parcels (id) ON DELETE RESTRICT,
    PRIMARY KEY (dossier_id, parcel_id)
);
CREATE INDEX dossier_parcels_parcel ON dossier_parcels (parcel_id);

-- Every state change with actor, time and note; pauses of the statutory clock are events too.
CREATE TABLE dossier_events (
    id         bigserial PRIMARY KEY,
    dossier_id bigint NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    action     text NOT NULL,
    from_state text,
    to_state   text NOT NULL,
    actor_id   integer REFERENCES users (id) ON DELETE SET NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    note       text
);
CREATE INDEX dossier_events_dossier ON dossier_events (dossier_id, at);

-- Văn bản xin lỗi và hẹn lại ngày trả kết quả.
CREATE TABLE apology_letters (
    id         bigserial PRIMARY KEY,
    dossier_id bigint NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    reason     text NOT NULL CHECK (length(reason) > 0),
    new_due_on date NOT NULL,
    issued_at  timestamptz NOT NULL DEFAULT now(),
    issued_by  integer REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX apology_letters_dossier ON apology_letters (dossier_id);

-- Geometry check reports (issue: certificate checks); kept so issuance can require a fresh pass.
CREATE TABLE geometry_checks (
    id          bigserial PRIMARY KEY,
    dossier_id  bigint REFERENCES dossiers (id) ON DELETE CASCADE,
    checked_at  timestamptz NOT NULL DEFAULT now(),
    outcome     text NOT NULL CHECK (outcome IN ('pass', 'warn', 'fail')),
    report      jsonb NOT NULL
);
CREATE INDEX geometry_checks_dossier ON geometry_checks (dossier_id, checked_at);
