-- Administrative units (đơn vị hành chính), versioned so that parcels registered under a
-- pre-2025 commune code stay findable by their old key after the July 2025 reorganisation.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE admin_units (
    id              serial PRIMARY KEY,
    level           text NOT NULL CHECK (level IN ('province', 'district', 'commune')),
    code            text NOT NULL CHECK (code ~ '^[0-9]{2,5}$'),
    name            text NOT NULL CHECK (length(name) > 0),
    division_type   text NOT NULL,
    parent_id       integer REFERENCES admin_units (id) ON DELETE RESTRICT,
    -- Province code in force for this unit (its own code for a province); tables carry it so
    -- they can be distributed by province later.
    province_code   text NOT NULL CHECK (province_code ~ '^[0-9]{2}$'),
    valid_from      date NOT NULL,
    valid_to        date,
    boundary        geometry(MultiPolygon, 4326),
    -- Where the boundary came from; 'synthetic' for generated sample boundaries.
    boundary_source text,
    -- VN-2000 TM-3 zone (EPSG code) used for records of this unit that carry no CRS of their own.
    default_crs_epsg integer,
    CHECK (valid_to IS NULL OR valid_to > valid_from),
    CHECK ((boundary IS NULL) = (boundary_source IS NULL))
);
-- One unit in force per level and code; codes of retired units may live on in a successor.
CREATE UNIQUE INDEX admin_units_current_code ON admin_units (level, code) WHERE valid_to IS NULL;
CREATE INDEX admin_units_code ON admin_units (code);
CREATE INDEX admin_units_parent ON admin_units (parent_id);
CREATE INDEX admin_units_boundary ON admin_units USING gist (boundary);

-- Predecessor links (e.g. three pre-2025 communes merged into one).
CREATE TABLE admin_unit_predecessors (
    unit_id        integer NOT NULL REFERENCES admin_units (id) ON DELETE CASCADE,
    predecessor_id integer NOT NULL REFERENCES admin_units (id) ON DELETE CASCADE,
    PRIMARY KEY (unit_id, predecessor_id),
    CHECK (unit_id <> predecessor_id)
);
CREATE INDEX admin_unit_predecessors_predecessor ON admin_unit_predecessors (predecessor_id);

-- Land-use types (mã loại đất), kept as data: the source tables disagree (DOMAIN.md §2).
CREATE TABLE land_use_types (
    code     text PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
    name     text NOT NULL,
    category text NOT NULL CHECK (category IN ('NNP', 'PNN', 'CSD'))
);
