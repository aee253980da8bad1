-- How far a read replica's replay is behind, in seconds: 0 when it has replayed all the WAL it
-- received (an idle primary sends nothing, so the age of the last replayed transaction would
-- overstate it), NULL on a server that is not in recovery (not a replica at all).
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN NULL
    WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0.0::float8
    ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8, 0.0)
END AS lag_seconds
