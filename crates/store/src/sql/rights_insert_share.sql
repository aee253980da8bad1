-- Party $2 holds share $3 (a float8, stored as numeric(9,8)) of right $1, listed at position
-- $4 (NULL: unordered, by share).
INSERT INTO rrr_shares (rrr_id, party_id, share, ord) VALUES ($1, $2, $3::numeric(9,8), $4)
