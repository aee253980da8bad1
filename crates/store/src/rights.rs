//! Parties, rights (RRR) with shares, and certificates.

use chrono::Datelike;
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Double, Integer, Nullable, Text, Timestamptz};
use domain::certificate::Status;

use crate::schema::{certificates, change_rules, parties, party_members, rrr_changes, rrrs};

define_sql_function!(
    /// The time now (not the transaction's start, as `now()` is).
    fn clock_timestamp() -> Timestamptz
);

const INSERT_USE_RIGHT: &str = include_str!("sql/rights_insert_use_right.sql");
const INSERT_SHARE: &str = include_str!("sql/rights_insert_share.sql");
const SHARES: &str = include_str!("sql/rights_shares.sql");
const CHANGES: &str = include_str!("sql/rights_changes_of_parcel.sql");

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
    insert_share_at(conn, rrr_id, party_id, share, None)
}

/// A share listed at position `ord` on the certificate (a change names a holder by it).
pub fn insert_share_at(
    conn: &mut PgConnection,
    rrr_id: i64,
    party_id: i64,
    share: f64,
    ord: Option<i32>,
) -> QueryResult<usize> {
    diesel::sql_query(INSERT_SHARE)
        .bind::<BigInt, _>(rrr_id)
        .bind::<BigInt, _>(party_id)
        .bind::<Double, _>(share)
        .bind::<Nullable<Integer>, _>(ord)
        .execute(conn)
}

/// A holder entry: a party with its title (Ông/Bà); its spouse or household members follow
/// with [`insert_member`]. Returns the party's id.
pub fn insert_holder(
    conn: &mut PgConnection,
    kind: &str,
    full_name: &str,
    id_number: Option<&str>,
    address: Option<&str>,
    title: Option<&str>,
) -> QueryResult<i64> {
    diesel::insert_into(parties::table)
        .values((
            parties::kind.eq(kind),
            parties::full_name.eq(full_name),
            parties::id_number.eq(id_number),
            parties::address.eq(address),
            parties::title.eq(title),
        ))
        .returning(parties::id)
        .get_result(conn)
}

/// A spouse (`role` spouse) or household member (`member`) sharing party `party_id`'s entry.
pub struct NewMember<'a> {
    pub seq: i32,
    pub role: &'a str,
    pub title: Option<&'a str>,
    pub full_name: &'a str,
    pub id_number: Option<&'a str>,
    pub relation: Option<&'a str>,
}

pub fn insert_member(conn: &mut PgConnection, party_id: i64, m: &NewMember) -> QueryResult<usize> {
    diesel::insert_into(party_members::table)
        .values((
            party_members::party_id.eq(party_id),
            party_members::seq.eq(m.seq),
            party_members::role.eq(m.role),
            party_members::title.eq(m.title),
            party_members::full_name.eq(m.full_name),
            party_members::id_number.eq(m.id_number),
            party_members::relation.eq(m.relation),
        ))
        .execute(conn)
}

// ---------------------------------------------------------------------------------------------
// Changes after issuance (đăng ký biến động)

/// How a procedure registers one kind of change (`change_rules`).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = change_rules, check_for_backend(diesel::pg::Pg))]
pub struct ChangeRuleRow {
    pub procedure_code: String,
    pub change_kind: String,
    pub result: String,
    pub deadline_days: Option<i32>,
    pub legal_basis: String,
}

/// The procedure's rules, by kind.
pub fn change_rules_of(conn: &mut PgConnection, procedure_code: &str) -> QueryResult<Vec<ChangeRuleRow>> {
    change_rules::table
        .filter(change_rules::procedure_code.eq(procedure_code))
        .order(change_rules::change_kind)
        .select(ChangeRuleRow::as_select())
        .load(conn)
}

/// Loads one rule (reference data, idempotent).
pub fn upsert_change_rule(conn: &mut PgConnection, r: &ChangeRuleRow) -> QueryResult<usize> {
    use diesel::upsert::excluded;
    diesel::insert_into(change_rules::table)
        .values((
            change_rules::procedure_code.eq(&r.procedure_code),
            change_rules::change_kind.eq(&r.change_kind),
            change_rules::result.eq(&r.result),
            change_rules::deadline_days.eq(r.deadline_days),
            change_rules::legal_basis.eq(&r.legal_basis),
        ))
        .on_conflict((change_rules::procedure_code, change_rules::change_kind))
        .do_update()
        .set((
            change_rules::result.eq(excluded(change_rules::result)),
            change_rules::deadline_days.eq(excluded(change_rules::deadline_days)),
            change_rules::legal_basis.eq(excluded(change_rules::legal_basis)),
        ))
        .execute(conn)
}

/// A change registered through a dossier.
pub struct NewChange<'a> {
    pub dossier_id: i64,
    pub parcel_id: i64,
    pub kind: &'a str,
    pub result: &'a str,
    pub from_rrr_id: i64,
    pub to_rrr_id: i64,
    pub from_version: i32,
    pub to_version: i32,
    pub certificate_id: i64,
    pub replaced_certificate_id: Option<i64>,
    pub event_date: Option<chrono::NaiveDate>,
    pub due_on: Option<chrono::NaiveDate>,
    pub late: bool,
    pub summary: &'a str,
    pub recorded_by: Option<i32>,
}

pub fn insert_change(conn: &mut PgConnection, c: &NewChange) -> QueryResult<i64> {
    diesel::insert_into(rrr_changes::table)
        .values((
            rrr_changes::dossier_id.eq(c.dossier_id),
            rrr_changes::parcel_id.eq(c.parcel_id),
            rrr_changes::kind.eq(c.kind),
            rrr_changes::result.eq(c.result),
            rrr_changes::from_rrr_id.eq(c.from_rrr_id),
            rrr_changes::to_rrr_id.eq(c.to_rrr_id),
            rrr_changes::from_version.eq(c.from_version),
            rrr_changes::to_version.eq(c.to_version),
            rrr_changes::certificate_id.eq(c.certificate_id),
            rrr_changes::replaced_certificate_id.eq(c.replaced_certificate_id),
            rrr_changes::event_date.eq(c.event_date),
            rrr_changes::due_on.eq(c.due_on),
            rrr_changes::late.eq(c.late),
            rrr_changes::summary.eq(c.summary),
            rrr_changes::recorded_by.eq(c.recorded_by),
        ))
        .returning(rrr_changes::id)
        .get_result(conn)
}

/// A registered change with its dossier's receipt number and certificates' serials.
#[derive(Debug, Clone, QueryableByName)]
pub struct ChangeRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub result: String,
    #[diesel(sql_type = Text)]
    pub receipt_no: String,
    #[diesel(sql_type = BigInt)]
    pub dossier_id: i64,
    #[diesel(sql_type = BigInt)]
    pub from_rrr_id: i64,
    #[diesel(sql_type = BigInt)]
    pub to_rrr_id: i64,
    #[diesel(sql_type = Integer)]
    pub from_version: i32,
    #[diesel(sql_type = Integer)]
    pub to_version: i32,
    #[diesel(sql_type = Text)]
    pub certificate: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub replaced_certificate: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    pub event_date: Option<chrono::NaiveDate>,
    #[diesel(sql_type = Nullable<Date>)]
    pub due_on: Option<chrono::NaiveDate>,
    #[diesel(sql_type = Bool)]
    pub late: bool,
    #[diesel(sql_type = Text)]
    pub summary: String,
    #[diesel(sql_type = Timestamptz)]
    pub recorded_at: chrono::DateTime<chrono::Utc>,
}

/// The changes registered on a parcel, oldest first.
pub fn changes_of_parcel(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<Vec<ChangeRow>> {
    diesel::sql_query(CHANGES)
        .bind::<Nullable<BigInt>, _>(Some(parcel_id))
        .bind::<Nullable<BigInt>, _>(None::<i64>)
        .load(conn)
}

/// The changes that endorsed, issued or replaced a certificate, oldest first.
pub fn changes_of_certificate(conn: &mut PgConnection, certificate_id: i64) -> QueryResult<Vec<ChangeRow>> {
    diesel::sql_query(CHANGES)
        .bind::<Nullable<BigInt>, _>(None::<i64>)
        .bind::<Nullable<BigInt>, _>(Some(certificate_id))
        .load(conn)
}

/// Whether a change was already registered through the dossier.
pub fn change_of_dossier(conn: &mut PgConnection, dossier_id: i64) -> QueryResult<bool> {
    diesel::select(exists(rrr_changes::table.filter(rrr_changes::dossier_id.eq(dossier_id)))).get_result(conn)
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
