//! Parties, rights (RRR) with shares, and certificates.

use chrono::Datelike;
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text};
use domain::certificate::Status;

use crate::schema::{certificates, parties, rrrs};

define_sql_function!(
    /// The time now (not the transaction's start, as `now()` is).
    fn clock_timestamp() -> Timestamptz
);

const INSERT_USE_RIGHT: &str = include_str!("sql/rights_insert_use_right.sql");
const INSERT_SHARE: &str = include_str!("sql/rights_insert_share.sql");
const SHARES: &str = include_str!("sql/rights_shares.sql");

pub fn insert_party(
    conn: &mut PgConnection,
    kind: &str,
    full_name: &str,
    id_number: Option<&str>,
    address: Option<&str>,
) -> QueryResult<i64> {
    diesel::insert_into(parties::table)
        .values((
            parties::kind.eq(kind),
            parties::full_name.eq(full_name),
            parties::id_number.eq(id_number),
            parties::address.eq(address),
        ))
        .returning(parties::id)
        .get_result(conn)
}

/// A use right on the parcel's current version; returns the right's id.
pub fn insert_use_right(
    conn: &mut PgConnection,
    parcel_id: i64,
    use_form: &str,
    source_document: &str,
) -> QueryResult<i64> {
    insert_use_right_from(conn, parcel_id, use_form, source_document, None, None)
}

/// A use right on the parcel's current version, registered by a dossier and/or continuing
/// another right (the old parcel's, on a split or merge); returns the right's id.
pub fn insert_use_right_from(
    conn: &mut PgConnection,
    parcel_id: i64,
    use_form: &str,
    source_document: &str,
    registered_dossier_id: Option<i64>,
    carried_from_id: Option<i64>,
) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Inserted {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let row: Inserted = diesel::sql_query(INSERT_USE_RIGHT)
        .bind::<BigInt, _>(parcel_id)
        .bind::<Text, _>(use_form)
        .bind::<Text, _>(source_document)
        .bind::<Nullable<BigInt>, _>(registered_dossier_id)
        .bind::<Nullable<BigInt>, _>(carried_from_id)
        .get_result(conn)?;
    Ok(row.id)
}

pub fn insert_share(conn: &mut PgConnection, rrr_id: i64, party_id: i64, share: f64) -> QueryResult<usize> {
    diesel::sql_query(INSERT_SHARE)
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
    diesel::insert_into(certificates::table)
        .values((
            certificates::serial.eq(c.serial),
            certificates::registry_no.eq(c.registry_no),
            certificates::registry_year.eq(c.issued_on.year()),
            certificates::province_code.eq(c.province_code),
            certificates::rrr_id.eq(c.rrr_id),
            certificates::issued_on.eq(c.issued_on),
            certificates::issuing_authority.eq(c.issuing_authority),
        ))
        .returning(certificates::id)
        .get_result(conn)
}

/// A current use right with its holders.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentRight {
    pub id: i64,
    /// "sole", "joint"… (`rrrs.use_form`; "sole" when not recorded).
    pub use_form: String,
    /// (party id, share), by party id.
    pub shares: Vec<(i64, f64)>,
    /// The parcel version the right was registered on.
    pub parcel_version_id: i64,
    /// The dossier that registered it (a split or merge dossier for the parts' rights).
    pub registered_dossier_id: Option<i64>,
    /// The right it continues (the old parcel's, after a split or merge).
    pub carried_from_id: Option<i64>,
}

#[derive(Queryable)]
struct RightColumns {
    id: i64,
    use_form: Option<String>,
    parcel_version_id: i64,
    registered_dossier_id: Option<i64>,
    carried_from_id: Option<i64>,
}

/// The current use right of a parcel with its holders' (party id, share), if any.
pub fn current_use_right(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<Option<CurrentRight>> {
    #[derive(QueryableByName)]
    struct Share {
        #[diesel(sql_type = BigInt)]
        party_id: i64,
        #[diesel(sql_type = Double)]
        share: f64,
    }
    let right: Option<RightColumns> = rrrs::table
        .filter(rrrs::parcel_id.eq(parcel_id))
        .filter(rrrs::kind.eq("use_right"))
        .filter(rrrs::valid_to.is_null())
        .select((rrrs::id, rrrs::use_form, rrrs::parcel_version_id, rrrs::registered_dossier_id, rrrs::carried_from_id))
        .get_result(conn)
        .optional()?;
    let Some(r) = right else { return Ok(None) };
    let shares: Vec<Share> = diesel::sql_query(SHARES).bind::<BigInt, _>(r.id).load(conn)?;
    Ok(Some(CurrentRight {
        id: r.id,
        use_form: r.use_form.unwrap_or_else(|| "sole".into()),
        shares: shares.into_iter().map(|s| (s.party_id, s.share)).collect(),
        parcel_version_id: r.parcel_version_id,
        registered_dossier_id: r.registered_dossier_id,
        carried_from_id: r.carried_from_id,
    }))
}

/// The right a right continues (`carried_from_id`), if any.
pub fn carried_from(conn: &mut PgConnection, rrr_id: i64) -> QueryResult<Option<i64>> {
    rrrs::table.find(rrr_id).select(rrrs::carried_from_id).first::<Option<i64>>(conn).optional().map(Option::flatten)
}

/// Whether a valid certificate covers the right. A current use right without one is *pending
/// certificate*: the parts of a split before their dossier issues, a right recorded without a
/// certificate.
pub fn has_valid_certificate(conn: &mut PgConnection, rrr_id: i64) -> QueryResult<bool> {
    diesel::select(exists(
        certificates::table
            .filter(certificates::rrr_id.eq(rrr_id))
            .filter(certificates::status.eq(Status::Valid.as_str())),
    ))
    .get_result(conn)
}

/// Ends a right with the reason it ended (`rrrs.ended_reason`: the revocation decision, the
/// split or merge), and revokes the valid certificates over it (the land or the right they
/// describe is gone).
pub fn end_right(conn: &mut PgConnection, rrr_id: i64, reason: &str) -> QueryResult<usize> {
    diesel::update(
        certificates::table
            .filter(certificates::rrr_id.eq(rrr_id))
            .filter(certificates::status.eq(Status::Valid.as_str())),
    )
    .set((
        certificates::status.eq(Status::Revoked.as_str()),
        certificates::revoked_at.eq(clock_timestamp().nullable()),
        certificates::revoked_reason.eq(reason),
    ))
    .execute(conn)?;
    diesel::update(rrrs::table.filter(rrrs::id.eq(rrr_id)).filter(rrrs::valid_to.is_null()))
        .set((rrrs::valid_to.eq(clock_timestamp().nullable()), rrrs::ended_reason.eq(reason)))
        .execute(conn)
}
