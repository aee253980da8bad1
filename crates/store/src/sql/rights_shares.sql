-- The holders of right $1 and their shares (as float8), by party id.
SELECT party_id, share::float8 AS share FROM rrr_shares WHERE rrr_id = $1 ORDER BY party_id
