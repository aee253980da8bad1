-- Parcels (thửa đất) split into a stable identity and immutable versions: a change closes the
-- current version (valid_to) and opens a new one, so any instant can be asked "as of".
CREATE TABLE parcels (
    id            bigserial PRIMARY KEY,
    -- Mã định danh thửa đất: 12-character GeoHash of an interior point; issued once, never reused.
    national_id   text NOT NULL UNIQUE CHECK (national_id ~ '^[0-9b-hjkmnp-z]{12}$'),
    province_code text NOT NULL CHECK (province_code ~ '^[0-9]{2}$'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- Set when the parcel ceases to exist (split or merged away); its versions stay.
    retired_at    timestamptz
);

CREATE TABLE parcel_versions (
    id                    bigserial PRIMARY KEY,
    parcel_id             bigint NOT NULL REFERENCES parcels (id) ON DELETE RESTRICT,
    version               integer NOT NULL CHECK (version > 0),
    -- Commune the parcel lies in today.
    commune_id            integer NOT NULL REFERENCES admin_units (id) ON DELETE RESTRICT,
    -- Commune under which sheet/parcel numbers were assigned: a pre-2025 commune for parcels
    -- registered before the reorganisation (the legacy key), otherwise the same as commune_id.
    registered_commune_id integer NOT NULL REFERENCES admin_units (id) ON DELETE RESTRICT,
    sheet_no              integer NOT NULL CHECK (sheet_no > 0),
    parcel_no             integer NOT NULL CHECK (parcel_no > 0),
    geom                  geometry(MultiPolygon, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom)),
    -- The CRS the geometry was surveyed and submitted in (EPSG code), kept per record because the
    -- central meridian of a merged province is not settled.
    source_crs_epsg       integer NOT NULL,
    -- Diện tích pháp lý: computed in the VN-2000 projected plane, 1 decimal as printed.
    legal_area_m2         numeric(14, 1) NOT NULL CHECK (legal_area_m2 > 0),
    address               text,
    valid_from            timestamptz NOT NULL DEFAULT now(),
    valid_to              timestamptz,
    change_reason         text NOT NULL,
    -- Generated sample or benchmark geometry, never a survey.
    is_synthetic          boolean NOT NULL DEFAULT false,
    UNIQUE (parcel_id, version),
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE UNIQUE INDEX parcel_versions_one_current ON parcel_versions (parcel_id) WHERE valid_to IS NULL;
CREATE UNIQUE INDEX parcel_versions_current_key
    ON parcel_versions (registered_commune_id, sheet_no, parcel_no) WHERE valid_to IS NULL;
CREATE INDEX parcel_versions_current_geom ON parcel_versions USING gist (geom) WHERE valid_to IS NULL;
CREATE INDEX parcel_versions_geom ON parcel_versions USING gist (geom);
CREATE INDEX parcel_versions_commune ON parcel_versions (commune_id) WHERE valid_to IS NULL;

-- Mục đích sử dụng: land-use purposes of a parcel version with the area of each.
CREATE TABLE parcel_land_uses (
    parcel_version_id bigint NOT NULL REFERENCES parcel_versions (id) ON DELETE CASCADE,
    land_use_code     text NOT NULL REFERENCES land_use_types (code) ON DELETE RESTRICT,
    area_m2           numeric(14, 1) NOT NULL CHECK (area_m2 > 0),
    -- Thời hạn sử dụng: NULL = lâu dài (long-term).
    use_until         date,
    -- Nguồn gốc sử dụng, free text until the origin code list is confirmed.
    origin            text,
    PRIMARY KEY (parcel_version_id, land_use_code)
);

-- Người sử dụng đất. id_number and birth_year are personal data: never in public responses.
CREATE TABLE parties (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('person', 'household', 'organisation')),
    full_name   text NOT NULL CHECK (length(full_name) > 0),
    id_number   text,
    birth_year  integer CHECK (birth_year BETWEEN 1880 AND 2100),
    address     text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Rights, restrictions and responsibilities (LADM RRR).
CREATE TABLE rrrs (
    id                bigserial PRIMARY KEY,
    kind              text NOT NULL CHECK (kind IN ('use_right', 'mortgage', 'lease', 'restriction', 'dispute')),
    parcel_id         bigint NOT NULL REFERENCES parcels (id) ON DELETE RESTRICT,
    parcel_version_id bigint NOT NULL REFERENCES parcel_versions (id) ON DELETE RESTRICT,
    -- Hình thức sử dụng: riêng (sole) or chung (joint).
    use_form          text CHECK (use_form IN ('sole', 'joint')),
    -- Restrictions and disputes that stop transactions on the parcel.
    blocking          boolean NOT NULL DEFAULT false,
    source_document   text NOT NULL,
    description       text,
    valid_from        timestamptz NOT NULL DEFAULT now(),
    valid_to          timestamptz,
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE INDEX rrrs_parcel ON rrrs (parcel_id) WHERE valid_to IS NULL;

CREATE TABLE rrr_shares (
    rrr_id   bigint NOT NULL REFERENCES rrrs (id) ON DELETE CASCADE,
    party_id bigint NOT NULL REFERENCES parties (id) ON DELETE RESTRICT,
    share    numeric(9, 8) NOT NULL CHECK (share > 0 AND share <= 1),
    PRIMARY KEY (rrr_id, party_id)
);
CREATE INDEX rrr_shares_party ON rrr_shares (party_id);

-- Phôi giấy chứng nhận: blank-stock serials per province, never reused; voided blanks stay.
CREATE TABLE certificate_blanks (
    serial        text PRIMARY KEY CHECK (serial ~ '^[A-ZĐ]{2}[0-9]{8}$'),
    province_code text NOT NULL CHECK (province_code ~ '^[0-9]{2}$'),
    status        text NOT NULL DEFAULT 'unused' CHECK (status IN ('unused', 'issued', 'voided')),
    voided_reason text,
    CHECK ((status = 'voided') = (voided_reason IS NOT NULL))
);

-- Giấy chứng nhận (LADM AdministrativeSource).
CREATE TABLE certificates (
    id                bigserial PRIMARY KEY,
    -- Số phát hành: 2 letters + 8 digits (older blanks: 6 digits).
    serial            text NOT NULL UNIQUE CHECK (serial ~ '^[A-ZĐ]{2}[0-9]{6}([0-9]{2})?$'),
    -- Số vào sổ cấp GCN, e.g. "CS 00120".
    registry_no       text NOT NULL,
    province_code     text NOT NULL CHECK (province_code ~ '^[0-9]{2}$'),
    rrr_id            bigint NOT NULL REFERENCES rrrs (id) ON DELETE RESTRICT,
    issued_on         date NOT NULL,
    issuing_authority text NOT NULL,
    status            text NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'revoked', 'replaced')),
    replaced_by_id    bigint REFERENCES certificates (id) ON DELETE RESTRICT,
    qr_payload        text,
    signature         text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'replaced') = (replaced_by_id IS NOT NULL)),
    UNIQUE (province_code, registry_no)
);
-- Never two valid certificates for one right: enforced here, not only in code.
CREATE UNIQUE INDEX certificates_one_valid_per_right ON certificates (rrr_id) WHERE status = 'valid';
