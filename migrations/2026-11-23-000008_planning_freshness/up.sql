-- Planning maps (issue 5): when plans and zones last changed, so vector-tile ETags and the map
-- never serve a stale planning layer, and a synthetic flag on plans like the one on zones.
ALTER TABLE planning_plans
    -- Generated sample plans (decision numbers included) describe no real decision.
    ADD COLUMN is_synthetic boolean NOT NULL DEFAULT false,
    -- Bumped by every status change (draft → approved → superseded).
    ADD COLUMN updated_at   timestamptz NOT NULL DEFAULT now();
ALTER TABLE planning_zones
    ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX planning_plans_unit ON planning_plans (admin_unit_id, status);
