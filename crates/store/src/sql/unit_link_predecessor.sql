-- Records that commune $1 (in force) succeeded commune $2 (retired).
INSERT INTO admin_unit_predecessors (unit_id, predecessor_id)
SELECT u.id, p.id FROM admin_units u, admin_units p
 WHERE u.level = 'commune' AND u.code = $1 AND u.valid_to IS NULL
   AND p.level = 'commune' AND p.code = $2 AND p.valid_to IS NOT NULL
ON CONFLICT DO NOTHING
