//! Parties, rights (RRR) with shares, and certificates.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Double, Nullable, Text};

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

pub fn insert_party(
    conn: &mut PgConnection,
    kind: &str,
    full_name: &str,
    id_number: Option<&str>,
    address: Option<&str>,
) -> QueryResult<i64> {
    let r: Id = diesel::sql_query(
        "INSERT INTO parties (kind, full_name, id_number, address) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind::<Text, _>(kind)
    .bind::<Text, _>(full_name)
    .bind::<Nullable<Text>, _>(id_number)
    .bind::<Nullable<Text>, _>(address)
    .get_result(conn)?;
    Ok(r.id)
}

/// A use right on the parcel's current version; returns the right's id.
pub fn insert_use_right(
    conn: &mut PgConnection,
    parcel_id: i64,
    use_form: &str,
    source_document: &str,
) -> QueryResult<i64> {
    let r: Id = diesel::sql_query(
        "INSERT INTO rrrs (kind, parcel_id, parcel_version_id, use_form, source_document) \
         SELECT 'use_right', $1, v.id, $2, $3 FROM parcel_versions v WHERE v.parcel_id = $1 AND v.valid_to IS NULL RETURNING id",
    )
    .bind::<BigInt, _>(parcel_id)
    .bind::<Text, _>(use_form)
    .bind::<Text, _>(source_document)
    .get_result(conn)?;
    Ok(r.id)
}

pub fn insert_share(conn: &mut PgConnection, rrr_id: i64, party_id: i64, share: f64) -> QueryResult<usize> {
    diesel::sql_query("INSERT INTO rrr_shares (rrr_id, party_id, share) VALUES ($1, $2, $3::numeric(9,8))")
        .bind::<BigInt, _>(rrr_id)
        .bind::<BigInt, _>(party_id)
        .bind::<Double, _>(share)
        .execute(conn)
}

/// A certificate issued over a right.
pub struct NewCertificate<'a> {
    pub serial: &'a str,
    pub registry_no: &'a str,
    pub province_code: &'a str,
    pub rrr_id: i64,
    pub issued_on: chrono::NaiveDate,
    pub issuing_authority: &'a str,
}

pub fn insert_certificate(conn: &mut PgConnection, c: &NewCertificate) -> QueryResult<i64> {
    let r: Id = diesel::sql_query(
        "INSERT INTO certificates (serial, registry_no, registry_year, province_code, rrr_id, issued_on, issuing_authority) \
         VALUES ($1, $2, extract(year FROM $5::date)::int, $3, $4, $5, $6) RETURNING id",
    )
    .bind::<Text, _>(c.serial)
    .bind::<Text, _>(c.registry_no)
    .bind::<Text, _>(c.province_code)
    .bind::<BigInt, _>(c.rrr_id)
    .bind::<Date, _>(c.issued_on)
    .bind::<Text, _>(c.issuing_authority)
    .get_result(conn)?;
    Ok(r.id)
}

/// A current use right with its holders.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentRight {
    pub id: i64,
    /// "sole", "joint"… (`rrrs.use_form`; "sole" when not recorded).
    pub use_form: String,
    /// (party id, share), by party id.
    pub shares: Vec<(i64, f64)>,
}

/// The current use right of a parcel with its holders' (party id, share), if any.
pub fn current_use_right(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<Option<CurrentRight>> {
    #[derive(QueryableByName)]
    struct R {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Nullable<Text>)]
        use_form: Option<String>,
    }
    #[derive(QueryableByName)]
    struct S {
        #[diesel(sql_type = BigInt)]
        party_id: i64,
        #[diesel(sql_type = Double)]
        share: f64,
    }
    let right: Option<R> = diesel::sql_query(
        "SELECT id, use_form FROM rrrs WHERE parcel_id = $1 AND kind = 'use_right' AND valid_to IS NULL",
    )
    .bind::<BigInt, _>(parcel_id)
    .get_result(conn)
    .optional()?;
    let Some(right) = right else { return Ok(None) };
    let shares: Vec<S> = diesel::sql_query(
        "SELECT party_id, share::float8 AS share FROM rrr_shares WHERE rrr_id = $1 ORDER BY party_id",
    )
    .bind::<BigInt, _>(right.id)
    .load(conn)?;
    Ok(Some(CurrentRight {
        id: right.id,
        use_form: right.use_form.unwrap_or_else(|| "sole".into()),
        shares: shares.into_iter().map(|s| (s.party_id, s.share)).collect(),
    }))
}

/// Ends a right, and revokes the valid certificates over it (the land they describe is gone).
pub fn end_right(conn: &mut PgConnection, rrr_id: i64, reason: &str) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE certificates SET status = 'revoked', revoked_at = clock_timestamp(), revoked_reason = $2 \
          WHERE rrr_id = $1 AND status = 'valid'",
    )
    .bind::<BigInt, _>(rrr_id)
    .bind::<Text, _>(reason)
    .execute(conn)?;
    diesel::sql_query("UPDATE rrrs SET valid_to = clock_timestamp() WHERE id = $1 AND valid_to IS NULL")
        .bind::<BigInt, _>(rrr_id)
        .execute(conn)
}
