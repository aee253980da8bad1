SELECT parcel_tile($1, $2, $3, $4)
