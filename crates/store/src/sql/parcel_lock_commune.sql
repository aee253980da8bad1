-- Serialises the placement of parcels in one commune until the transaction ends: whoever
-- registers, re-surveys, splits or merges parcels of commune $1 waits here, so the overlap
-- check that follows sees every parcel committed before it (two overlapping registrations
-- cannot both pass it). The first key names the lock's purpose, the second is the commune id.
SELECT pg_advisory_xact_lock(hashtext('diachinh: parcel placement in a commune'), $1)
