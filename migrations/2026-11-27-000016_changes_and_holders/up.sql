-- Changes after issuance (đăng ký biến động) and holders as the law has them.

-- Holders: the users of Land Law 2024 Art. 4 besides persons, households and organisations;
-- Ông/Bà as printed (Circular 10/2024 Art. 32).
ALTER TABLE parties DROP CONSTRAINT parties_kind_check;
ALTER TABLE parties ADD CONSTRAINT parties_kind_check CHECK (kind IN (
    'person', 'household', 'organisation', 'religious', 'community', 'foreign_invested'));
ALTER TABLE parties ADD COLUMN title text CHECK (title IN ('ong', 'ba'));

-- A spouse sharing a person's right, or a member of a household sharing its right: no share of
-- their own (the entry's share in rrr_shares is the couple's or the household's).
CREATE TABLE party_members (
    party_id    bigint NOT NULL REFERENCES parties (id) ON DELETE RESTRICT,
    seq         integer NOT NULL CHECK (seq > 0),
    role        text NOT NULL CHECK (role IN ('spouse', 'member')),
    title       text CHECK (title IN ('ong', 'ba')),
    full_name   text NOT NULL CHECK (length(full_name) > 0),
    id_number   text,
    relation    text,
    PRIMARY KEY (party_id, seq)
);
-- One spouse at most.
CREATE UNIQUE INDEX party_members_one_spouse ON party_members (party_id) WHERE role = 'spouse';

-- The order the holders are listed in on the certificate (a change names a holder by it).
ALTER TABLE rrr_shares ADD COLUMN ord integer CHECK (ord >= 0);

-- How a procedure registers each kind of change: an endorsement or a new certificate (Decree
-- 101/2024 Art. 23), and the registration deadline in days (Land Law 2024 Art. 133(3)).
-- Reference data, loaded from sample-data/change-rules.csv.
CREATE TABLE change_rules (
    procedure_code text NOT NULL REFERENCES procedures (code) ON DELETE CASCADE,
    change_kind    text NOT NULL CHECK (change_kind IN (
        'purpose', 'holder_details', 'term', 'boundary', 'inheritance', 'share_transfer', 'division')),
    result         text NOT NULL CHECK (result IN ('endorsement', 'new_certificate')),
    deadline_days  integer CHECK (deadline_days > 0),
    legal_basis    text NOT NULL CHECK (length(legal_basis) > 0),
    PRIMARY KEY (procedure_code, change_kind)
);

-- Who signs certificates and the registry book prefix, per province, procedure and holder kind
-- ('*' = any); the most specific row wins. `{province}` in the authority is the province's
-- name. Reference data, loaded from sample-data/issuing-authorities.csv.
CREATE TABLE issuing_authorities (
    province_code   text NOT NULL CHECK (province_code = '*' OR province_code ~ '^[0-9]{2}$'),
    procedure_code  text NOT NULL CHECK (procedure_code = '*' OR procedure_code ~ '^[0-9]\.[0-9]{6}$'),
    holder_kind     text NOT NULL CHECK (holder_kind IN (
        '*', 'person', 'household', 'organisation', 'religious', 'community', 'foreign_invested')),
    authority       text NOT NULL CHECK (length(authority) > 0),
    registry_prefix text NOT NULL CHECK (registry_prefix ~ '^[A-Z]{2,3}$'),
    legal_basis     text NOT NULL CHECK (length(legal_basis) > 0),
    PRIMARY KEY (province_code, procedure_code, holder_kind)
);

-- A change registered through an approved dossier: once per dossier, never updated. The right
-- and parcel versions it closed and opened, the certificate it endorsed or issued, and the
-- 30-day deadline it met or missed. `summary` names no one: it is shown publicly.
CREATE TABLE rrr_changes (
    id                       bigserial PRIMARY KEY,
    dossier_id               bigint NOT NULL UNIQUE REFERENCES dossiers (id) ON DELETE RESTRICT,
    parcel_id                bigint NOT NULL REFERENCES parcels (id) ON DELETE RESTRICT,
    kind                     text NOT NULL CHECK (kind IN (
        'purpose', 'holder_details', 'term', 'boundary', 'inheritance', 'share_transfer', 'division')),
    result                   text NOT NULL CHECK (result IN ('endorsement', 'new_certificate')),
    from_rrr_id              bigint NOT NULL REFERENCES rrrs (id) ON DELETE RESTRICT,
    to_rrr_id                bigint NOT NULL REFERENCES rrrs (id) ON DELETE RESTRICT,
    from_version             integer NOT NULL,
    to_version               integer NOT NULL,
    certificate_id           bigint NOT NULL REFERENCES certificates (id) ON DELETE RESTRICT,
    replaced_certificate_id  bigint REFERENCES certificates (id) ON DELETE RESTRICT,
    event_date               date,
    due_on                   date,
    late                     boolean NOT NULL DEFAULT false,
    summary                  text NOT NULL CHECK (length(summary) > 0),
    recorded_at              timestamptz NOT NULL DEFAULT now(),
    recorded_by              integer REFERENCES users (id) ON DELETE SET NULL,
    CHECK (from_rrr_id <> to_rrr_id),
    CHECK (NOT late OR due_on IS NOT NULL),
    CHECK ((result = 'new_certificate') = (replaced_certificate_id IS NOT NULL))
);
CREATE INDEX rrr_changes_parcel ON rrr_changes (parcel_id, recorded_at);
