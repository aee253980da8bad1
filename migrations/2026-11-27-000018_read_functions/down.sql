DROP FUNCTION planning_zone_tile(integer, integer, integer, text[]);
DROP FUNCTION parcel_tile(integer, integer, integer, text[]);
DROP FUNCTION parcels_page(float8, float8, float8, float8, bigint, bigint, bigint);
DROP FUNCTION parcel_public(text, text, text[]);
