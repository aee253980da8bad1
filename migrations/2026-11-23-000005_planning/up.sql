-- Quy hoạch sử dụng đất: plans and their zones.
CREATE TABLE planning_plans (
    id             serial PRIMARY KEY,
    level          text NOT NULL CHECK (level IN ('province', 'commune')),
    admin_unit_id  integer NOT NULL REFERENCES admin_units (id) ON DELETE RESTRICT,
    name           text NOT NULL,
    period_start   integer NOT NULL CHECK (period_start BETWEEN 2000 AND 2100),
    period_end     integer NOT NULL,
    decision_no    text,
    decision_date  date,
    status         text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'approved', 'superseded')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (period_end >= period_start),
    CHECK (status = 'draft' OR (decision_no IS NOT NULL AND decision_date IS NOT NULL))
);
-- One approved plan per unit and level at a time.
CREATE UNIQUE INDEX planning_plans_one_approved ON planning_plans (admin_unit_id, level) WHERE status = 'approved';

CREATE TABLE planning_zones (
    id              bigserial PRIMARY KEY,
    plan_id         integer NOT NULL REFERENCES planning_plans (id) ON DELETE CASCADE,
    land_use_code   text NOT NULL REFERENCES land_use_types (code) ON DELETE RESTRICT,
    name            text,
    geom            geometry(MultiPolygon, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom)),
    source_crs_epsg integer NOT NULL,
    is_synthetic    boolean NOT NULL DEFAULT false
);
CREATE INDEX planning_zones_plan ON planning_zones (plan_id);
CREATE INDEX planning_zones_geom ON planning_zones USING gist (geom);
