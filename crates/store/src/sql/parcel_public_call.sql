SELECT parcel_public($1, $2, $3)
