-- The citizen's own channel (issue 13): online submissions with their uploaded documents, the
-- return the citizen asked for (counter, post with an address, online), and the notices outbox.

-- Nộp hồ sơ trực tuyến: what a citizen filed before the desk accepts it (it becomes a dossier,
-- and the statutory clock starts then) or refuses it with the grounds.
CREATE TABLE online_submissions (
    id                  bigserial PRIMARY KEY,
    -- "TT.<province>.<yymmdd>.<id>": never confused with a receipt number.
    submission_no       text NOT NULL UNIQUE CHECK (submission_no ~ '^TT\.[0-9]{2}\.[0-9]{6}\.[0-9]{5,12}$'),
    -- Hex SHA-256 of the secret printed on the submission receipt; the secret itself is not kept.
    secret_sha256       text NOT NULL CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
    procedure_code      text NOT NULL REFERENCES procedures (code) ON DELETE RESTRICT,
    province_code       text NOT NULL,
    commune_id          integer NOT NULL REFERENCES admin_units (id) ON DELETE RESTRICT,
    -- The parcel concerned, when the citizen named one in the register.
    parcel_id           bigint REFERENCES parcels (id) ON DELETE RESTRICT,
    applicant_kind      text NOT NULL CHECK (applicant_kind IN ('person', 'household', 'organisation')),
    applicant_name      text NOT NULL CHECK (length(applicant_name) > 0),
    applicant_id_number text,
    applicant_address   text,
    email               text NOT NULL CHECK (position('@' in email) > 1),
    phone               text,
    return_method       text NOT NULL CHECK (return_method IN ('counter', 'postal', 'online')),
    -- Where the result goes by post.
    postal_address      text CHECK (postal_address IS NULL OR length(postal_address) > 0),
    state               text NOT NULL DEFAULT 'submitted' CHECK (state IN ('submitted', 'accepted', 'refused')),
    submitted_at        timestamptz NOT NULL,
    -- The working day by which the desk answers (Decree 61/2018 Art. 17: within the working day;
    -- after the cut-off, the next one).
    respond_by          date NOT NULL,
    decided_at          timestamptz,
    decided_by          integer REFERENCES users (id) ON DELETE SET NULL,
    refusal_ground      text CHECK (refusal_ground IN ('incomplete', 'illegible', 'wrong_procedure', 'not_competent', 'duplicate', 'other')),
    refusal_note        text CHECK (refusal_note IS NULL OR length(refusal_note) > 0),
    dossier_id          bigint UNIQUE REFERENCES dossiers (id) ON DELETE RESTRICT,
    CONSTRAINT online_submissions_postal_address CHECK ((return_method = 'postal') = (postal_address IS NOT NULL)),
    CONSTRAINT online_submissions_decision CHECK (
        (state = 'submitted' AND decided_at IS NULL AND dossier_id IS NULL AND refusal_ground IS NULL)
     OR (state = 'accepted' AND decided_at IS NOT NULL AND dossier_id IS NOT NULL AND refusal_ground IS NULL)
     OR (state = 'refused' AND decided_at IS NOT NULL AND dossier_id IS NULL AND refusal_ground IS NOT NULL
         AND refusal_note IS NOT NULL))
);
CREATE INDEX online_submissions_waiting ON online_submissions (province_code, submitted_at) WHERE state = 'submitted';

-- The uploaded documents, in the database so a submission and its files commit or fail together.
-- Never served publicly; deleted when the submission is refused (the audit entry keeps the names,
-- sizes and hashes).
CREATE TABLE submission_files (
    id            bigserial PRIMARY KEY,
    submission_id bigint NOT NULL REFERENCES online_submissions (id) ON DELETE CASCADE,
    -- The position (from 1) in the procedure's required documents this file is for.
    requirement   integer NOT NULL CHECK (requirement >= 1),
    file_name     text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    media_type    text NOT NULL CHECK (media_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size_bytes    integer NOT NULL CHECK (size_bytes > 0),
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content       bytea NOT NULL CHECK (octet_length(content) = size_bytes)
);
CREATE INDEX submission_files_submission ON submission_files (submission_id);

-- The return the applicant asked for, carried onto the dossier (the postal address the result
-- is sent to), and the contact notices go to.
ALTER TABLE dossiers
    ADD COLUMN return_address text CHECK (return_address IS NULL OR length(return_address) > 0),
    ADD COLUMN contact_email text;

-- The outbox: each step a citizen should hear about writes a notice in the step's own
-- transaction; a sender delivers pending notices and marks them sent.
CREATE TABLE notices (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('submission_received', 'submission_accepted', 'submission_refused',
                      'supplement_requested', 'apology', 'result_ready', 'sent_by_post')),
    submission_id bigint REFERENCES online_submissions (id) ON DELETE CASCADE,
    dossier_id    bigint REFERENCES dossiers (id) ON DELETE CASCADE,
    recipient     text NOT NULL CHECK (length(recipient) > 0),
    subject       text NOT NULL,
    body          text NOT NULL,
    created_at    timestamptz NOT NULL,
    sent_at       timestamptz,
    attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error    text,
    CHECK (submission_id IS NOT NULL OR dossier_id IS NOT NULL)
);
CREATE INDEX notices_pending ON notices (id) WHERE sent_at IS NULL;
