-- Bulk import of survey deliveries (issue 15): one row per import, whether started by
-- `diachinh import` or `POST /imports`. The features themselves pass through a temporary
-- staging table of the importing session (store::imports), never through a permanent one.
CREATE TABLE import_jobs (
    id                 bigserial PRIMARY KEY,
    commune_id         integer NOT NULL REFERENCES admin_units (id) ON DELETE RESTRICT,
    province_code      text NOT NULL CHECK (province_code ~ '^[0-9]{2}$'),
    -- The staff account that asked (NULL for the command line, which names itself in `requested_by`).
    user_id            integer REFERENCES users (id) ON DELETE SET NULL,
    requested_by       text NOT NULL CHECK (length(requested_by) > 0),
    -- The file as it was named by whoever sent it, and the layer read from it.
    source_name        text NOT NULL,
    layer              text NOT NULL,
    source_crs_epsg    integer NOT NULL,
    field_map          jsonb NOT NULL,
    mode               text NOT NULL CHECK (mode IN ('all_or_nothing', 'load_valid')),
    status             text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    -- What the running import is doing: reading, checking, loading, reporting, done.
    phase              text NOT NULL DEFAULT 'queued',
    -- Features the file declares (NULL when its driver cannot count them cheaply).
    features_total     bigint CHECK (features_total >= 0),
    features_read      bigint NOT NULL DEFAULT 0 CHECK (features_read >= 0),
    features_validated bigint NOT NULL DEFAULT 0 CHECK (features_validated >= 0),
    features_loaded    bigint NOT NULL DEFAULT 0 CHECK (features_loaded >= 0),
    features_rejected  bigint NOT NULL DEFAULT 0 CHECK (features_rejected >= 0),
    -- The audit entry of a committed import, and the rejected features' reasons by code.
    audit_id           bigint,
    rejected_by_code   jsonb,
    -- The rejected features as a GeoPackage (source CRS, `reason` field), for GET /imports/{id}/rejected.
    rejected_gpkg      bytea,
    -- Why a failed import failed (a problem document: the file could not be read, the database…).
    error              jsonb,
    created_at         timestamptz NOT NULL DEFAULT now(),
    started_at         timestamptz,
    finished_at        timestamptz,
    CHECK ((status IN ('succeeded', 'failed')) = (finished_at IS NOT NULL))
);
CREATE INDEX import_jobs_province ON import_jobs (province_code, id);
