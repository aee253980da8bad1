-- Holders of a right ($1) with their personal data, shares, spouse and household members (a JSON
-- array), in the order the certificate lists them (then largest share first).
SELECT pa.id AS party_id, pa.kind, pa.full_name, pa.id_number, pa.title, pa.address, s.share::float8 AS share,
       COALESCE((SELECT json_agg(json_build_object('role', m.role, 'title', m.title, 'name', m.full_name,
                                                   'id_number', m.id_number, 'relation', m.relation) ORDER BY m.seq)
                   FROM party_members m WHERE m.party_id = pa.id), '[]')::text AS members
  FROM rrr_shares s
  JOIN parties pa ON pa.id = s.party_id
 WHERE s.rrr_id = $1
 ORDER BY s.ord NULLS LAST, s.share DESC, pa.id
