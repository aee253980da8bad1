SELECT * FROM parcel_current($1)
