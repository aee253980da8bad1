-- Refreshes the planner's statistics after a bulk load.
ANALYZE parcels, parcel_versions, parcel_land_uses
