//! Certificates (giấy chứng nhận): blank stock, registry counters, certificate rows, the
//! offices' public keys — and the offices' private signing seeds, which live in files outside
//! the database (a database dump must not be enough to forge a certificate).

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::now;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Double, Integer, Jsonb, Nullable, Text, Timestamptz};
use domain::certificate::{BlankStatus, Status};
use domain::dossier::State;

use super::parcels::{self, ParcelRow, VersionFilter};
use crate::enums::Stored;
use crate::schema::{
    admin_units, certificate_blanks, certificates, dossier_parcels, dossiers, issuing_authorities, land_use_types,
    parcel_versions, rrrs, signing_keys,
};

const BLANK_OVERLAPS: &str = include_str!("sql/certificate_blank_overlaps.sql");
const INSERT_BLANKS: &str = include_str!("sql/certificate_insert_blanks.sql");
const TAKE_BLANK: &str = include_str!("sql/certificate_take_blank.sql");
const SYNC_REGISTRY_COUNTERS: &str = include_str!("sql/registry_counters_sync.sql");
const RIGHT_HOLDERS: &str = include_str!("sql/certificate_right_holders.sql");
const CERTIFICATE_SELECT: &str = include_str!("sql/certificate_select.sql");
const DEFER_SUCCESSOR_CHECK: &str = include_str!("sql/certificate_defer_successor_check.sql");
const NEXT_ID: &str = include_str!("sql/certificate_next_id.sql");
const ISSUING_AUTHORITY: &str = include_str!("sql/certificate_issuing_authority.sql");

#[derive(QueryableByName)]
struct Serial {
    #[diesel(sql_type = Text)]
    serial: String,
}

// ---------------------------------------------------------------------------------------------
// Blank stock (phôi giấy chứng nhận)

/// Serials of `prefix` numbered `first..=last` already on record (as blanks or certificates).
pub fn overlapping_serials(conn: &mut PgConnection, prefix: &str, first: i32, last: i32) -> QueryResult<Vec<String>> {
    let rows: Vec<Serial> = diesel::sql_query(BLANK_OVERLAPS)
        .bind::<Text, _>(prefix)
        .bind::<Integer, _>(first)
        .bind::<Integer, _>(last)
        .load(conn)?;
    Ok(rows.into_iter().map(|r| r.serial).collect())
}

/// Registers unused blanks `prefix` + 8-digit `first..=last`; returns how many.
pub fn insert_blanks(
    conn: &mut PgConnection,
    province_code: &str,
    prefix: &str,
    first: i32,
    last: i32,
) -> QueryResult<usize> {
    diesel::sql_query(INSERT_BLANKS)
        .bind::<Text, _>(prefix)
        .bind::<Text, _>(province_code)
        .bind::<Integer, _>(first)
        .bind::<Integer, _>(last)
        .execute(conn)
}

/// A blank as recorded.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = certificate_blanks, check_for_backend(Pg))]
pub struct BlankRow {
    pub serial: String,
    pub province_code: String,
    #[diesel(deserialize_as = Stored<BlankStatus>)]
    pub status: BlankStatus,
    pub voided_reason: Option<String>,
}

/// A blank, locked for the rest of the transaction.
pub fn blank_for_update(conn: &mut PgConnection, serial: &str) -> QueryResult<Option<BlankRow>> {
    certificate_blanks::table.find(serial).select(BlankRow::as_select()).for_update().first(conn).optional()
}

pub fn void_blank(conn: &mut PgConnection, serial: &str, reason: &str) -> QueryResult<usize> {
    diesel::update(
        certificate_blanks::table
            .filter(certificate_blanks::serial.eq(serial))
            .filter(certificate_blanks::status.eq(BlankStatus::Unused.as_str())),
    )
    .set((certificate_blanks::status.eq(BlankStatus::Voided.as_str()), certificate_blanks::voided_reason.eq(reason)))
    .execute(conn)
}

/// Marks the province's next unused blank issued and returns its serial; None when the
/// province has no unused blank left (or every one is being taken by another transaction).
pub fn take_blank(conn: &mut PgConnection, province_code: &str) -> QueryResult<Option<String>> {
    let row: Option<Serial> =
        diesel::sql_query(TAKE_BLANK).bind::<Text, _>(province_code).get_result(conn).optional()?;
    Ok(row.map(|r| r.serial))
}

/// Records the serial of a certificate issued outside this service (sample data, imports) as
/// an issued blank, so it can never be registered or issued again.
pub fn record_issued_blank(conn: &mut PgConnection, serial: &str, province_code: &str) -> QueryResult<usize> {
    let upsert = diesel::insert_into(certificate_blanks::table)
        .values((
            certificate_blanks::serial.eq(serial),
            certificate_blanks::province_code.eq(province_code),
            certificate_blanks::status.eq(BlankStatus::Issued.as_str()),
        ))
        .on_conflict(certificate_blanks::serial)
        .do_update()
        .set(certificate_blanks::status.eq(BlankStatus::Issued.as_str()));
    // ON CONFLICT … DO UPDATE … WHERE: only an unused blank becomes issued.
    diesel::query_dsl::methods::FilterDsl::filter(upsert, certificate_blanks::status.eq(BlankStatus::Unused.as_str()))
        .execute(conn)
}

// ---------------------------------------------------------------------------------------------
// Registry book numbers (số vào sổ); the next one comes from `crate::counters`.

/// Raises every counter to the highest number already used by certificates on record
/// ("CS 00120" → 120), e.g. after loading certificates issued elsewhere.
pub fn sync_registry_counters(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::sql_query(SYNC_REGISTRY_COUNTERS).execute(conn)
}

// ---------------------------------------------------------------------------------------------
// Dossiers, checks and parcels as issuance sees them

/// A dossier as issuance needs it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dossiers, check_for_backend(Pg))]
pub struct DossierRow {
    pub id: i64,
    pub receipt_no: String,
    pub procedure_code: String,
    pub province_code: String,
    #[diesel(deserialize_as = Stored<State>)]
    pub state: State,
}

/// The dossier, locked against concurrent changes (FOR NO KEY UPDATE: rows referencing it
/// can still be inserted) until the end of the transaction.
pub fn dossier_for_issue(conn: &mut PgConnection, dossier_id: i64) -> QueryResult<Option<DossierRow>> {
    dossiers::table
        .filter(dossiers::id.eq(dossier_id))
        .select(DossierRow::as_select())
        .for_no_key_update()
        .get_result(conn)
        .optional()
}

/// Parcels named in a dossier.
pub fn dossier_parcels(conn: &mut PgConnection, dossier_id: i64) -> QueryResult<Vec<i64>> {
    dossier_parcels::table
        .filter(dossier_parcels::dossier_id.eq(dossier_id))
        .order(dossier_parcels::parcel_id)
        .select(dossier_parcels::parcel_id)
        .load(conn)
}

/// The parcel's current version, share-locked so its boundary cannot change before commit.
pub fn current_version_locked(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<Option<ParcelRow>> {
    let locked: Option<i64> = parcel_versions::table
        .filter(parcel_versions::parcel_id.eq(parcel_id))
        .filter(parcel_versions::valid_to.is_null())
        .select(parcel_versions::id)
        .for_share()
        .first(conn)
        .optional()?;
    let Some(version_id) = locked else { return Ok(None) };
    first(parcels::versions(conn, &VersionFilter { version_id: Some(version_id), ..VersionFilter::default() }))
}

/// One version of a parcel.
pub fn parcel_version(conn: &mut PgConnection, parcel_id: i64, version: i32) -> QueryResult<Option<ParcelRow>> {
    first(parcels::versions(
        conn,
        &VersionFilter { parcel_id: Some(parcel_id), version: Some(version), ..VersionFilter::default() },
    ))
}

/// The version a right was registered on.
pub fn version_by_id(conn: &mut PgConnection, version_id: i64) -> QueryResult<Option<ParcelRow>> {
    first(parcels::versions(conn, &VersionFilter { version_id: Some(version_id), ..VersionFilter::default() }))
}

fn first<T>(rows: QueryResult<Vec<T>>) -> QueryResult<Option<T>> {
    Ok(rows?.into_iter().next())
}

/// Names of land-use codes.
pub fn land_use_names(conn: &mut PgConnection, codes: &[String]) -> QueryResult<Vec<(String, String)>> {
    land_use_types::table
        .filter(land_use_types::code.eq_any(codes))
        .select((land_use_types::code, land_use_types::name))
        .load(conn)
}

/// A province in force.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = admin_units, check_for_backend(Pg))]
pub struct ProvinceRow {
    pub code: String,
    pub name: String,
    pub division_type: String,
    pub default_crs_epsg: Option<i32>,
}

pub fn province(conn: &mut PgConnection, code: &str) -> QueryResult<Option<ProvinceRow>> {
    admin_units::table
        .filter(admin_units::level.eq("province"))
        .filter(admin_units::code.eq(code))
        .filter(admin_units::valid_to.is_null())
        .select(ProvinceRow::as_select())
        .first(conn)
        .optional()
}

// ---------------------------------------------------------------------------------------------
// Rights

/// A current use right.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rrrs, check_for_backend(Pg))]
pub struct RightRow {
    pub id: i64,
    pub parcel_version_id: i64,
    /// The dossier that registered it (the split or merge dossier for a part's right).
    pub registered_dossier_id: Option<i64>,
    /// The right it continues (the old parcel's, after a split or merge).
    pub carried_from_id: Option<i64>,
}

/// The parcel's current use right, locked.
pub fn current_use_right(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<Option<RightRow>> {
    rrrs::table
        .filter(rrrs::parcel_id.eq(parcel_id))
        .filter(rrrs::kind.eq("use_right"))
        .filter(rrrs::valid_to.is_null())
        .select(RightRow::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// Ends a right at the transaction's time (a new right starting now follows it seamlessly),
/// saying why and, when a dossier ended it (a transfer), which.
pub fn close_right(conn: &mut PgConnection, rrr_id: i64, reason: &str, dossier_id: Option<i64>) -> QueryResult<usize> {
    diesel::update(rrrs::table.filter(rrrs::id.eq(rrr_id)).filter(rrrs::valid_to.is_null()))
        .set((
            rrrs::valid_to.eq(now.into_sql::<Timestamptz>().nullable()),
            rrrs::ended_reason.eq(reason),
            rrrs::released_dossier_id.eq(dossier_id),
        ))
        .execute(conn)
}

/// A holder of a right with the personal data the certificate prints.
#[derive(Debug, Clone, QueryableByName)]
pub struct RightHolderRow {
    #[diesel(sql_type = BigInt)]
    pub party_id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub title: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub address: Option<String>,
    /// JSON array of {role: spouse|member, title, name, id_number, relation}.
    #[diesel(sql_type = Text)]
    pub members: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub full_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub id_number: Option<String>,
    #[diesel(sql_type = Double)]
    pub share: f64,
}

pub fn right_holders(conn: &mut PgConnection, rrr_id: i64) -> QueryResult<Vec<RightHolderRow>> {
    diesel::sql_query(RIGHT_HOLDERS).bind::<BigInt, _>(rrr_id).load(conn)
}

/// Who issues a certificate of `province` for `procedure` to a holder of `holder_kind`, and
/// the registry prefix: (authority template, prefix), the most specific row.
pub fn issuing_authority(
    conn: &mut PgConnection,
    province: &str,
    procedure: &str,
    holder_kind: &str,
) -> QueryResult<Option<(String, String)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        authority: String,
        #[diesel(sql_type = Text)]
        registry_prefix: String,
    }
    let row: Option<Row> = diesel::sql_query(ISSUING_AUTHORITY)
        .bind::<Text, _>(province)
        .bind::<Text, _>(procedure)
        .bind::<Text, _>(holder_kind)
        .get_result(conn)
        .optional()?;
    Ok(row.map(|r| (r.authority, r.registry_prefix)))
}

/// One row of the issuing-authority table (reference data).
pub struct AuthorityRow<'a> {
    pub province_code: &'a str,
    pub procedure_code: &'a str,
    pub holder_kind: &'a str,
    pub authority: &'a str,
    pub registry_prefix: &'a str,
    pub legal_basis: &'a str,
}

/// Loads one row (idempotent).
pub fn upsert_issuing_authority(conn: &mut PgConnection, r: &AuthorityRow) -> QueryResult<usize> {
    use diesel::upsert::excluded;
    diesel::insert_into(issuing_authorities::table)
        .values((
            issuing_authorities::province_code.eq(r.province_code),
            issuing_authorities::procedure_code.eq(r.procedure_code),
            issuing_authorities::holder_kind.eq(r.holder_kind),
            issuing_authorities::authority.eq(r.authority),
            issuing_authorities::registry_prefix.eq(r.registry_prefix),
            issuing_authorities::legal_basis.eq(r.legal_basis),
        ))
        .on_conflict((
            issuing_authorities::province_code,
            issuing_authorities::procedure_code,
            issuing_authorities::holder_kind,
        ))
        .do_update()
        .set((
            issuing_authorities::authority.eq(excluded(issuing_authorities::authority)),
            issuing_authorities::registry_prefix.eq(excluded(issuing_authorities::registry_prefix)),
            issuing_authorities::legal_basis.eq(excluded(issuing_authorities::legal_basis)),
        ))
        .execute(conn)
}

/// The valid certificate now proves the right's next version (a change after issuance closed
/// the old right and opened `rrr_id` carried from it); 1 when moved.
pub fn move_to_right(conn: &mut PgConnection, certificate_id: i64, rrr_id: i64) -> QueryResult<usize> {
    diesel::update(
        certificates::table
            .filter(certificates::id.eq(certificate_id))
            .filter(certificates::status.eq(Status::Valid.as_str())),
    )
    .set(certificates::rrr_id.eq(rrr_id))
    .execute(conn)
}

/// The right's parcel version id.
pub fn right_version(conn: &mut PgConnection, rrr_id: i64) -> QueryResult<i64> {
    rrrs::table.find(rrr_id).select(rrrs::parcel_version_id).first(conn)
}

// ---------------------------------------------------------------------------------------------
// Certificates

/// A certificate with what the use cases need around it.
#[derive(Debug, Clone, QueryableByName)]
pub struct CertificateRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub serial: String,
    #[diesel(sql_type = Text)]
    pub registry_no: String,
    #[diesel(sql_type = Integer)]
    pub registry_year: i32,
    #[diesel(sql_type = Text)]
    pub province_code: String,
    #[diesel(sql_type = BigInt)]
    pub rrr_id: i64,
    #[diesel(sql_type = BigInt)]
    pub parcel_id: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub right_valid_to: Option<DateTime<Utc>>,
    #[diesel(sql_type = Date)]
    pub issued_on: NaiveDate,
    #[diesel(sql_type = Text)]
    pub issuing_authority: String,
    #[diesel(sql_type = Text, deserialize_as = Stored<Status>)]
    pub status: Status,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub replaced_by_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub replaced_by_serial: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    pub replaced_on: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Text>)]
    pub replaced_reason: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub revoked_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub revoked_reason: Option<String>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub content: Option<serde_json::Value>,
    #[diesel(sql_type = Nullable<Text>)]
    pub key_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub signature: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub qr_payload: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub dossier_id: Option<i64>,
}

/// The certificate with this id or serial (see `sql/certificate_select.sql`).
fn select(conn: &mut PgConnection, id: Option<i64>, serial: Option<&str>) -> QueryResult<Option<CertificateRow>> {
    diesel::sql_query(CERTIFICATE_SELECT)
        .bind::<Nullable<BigInt>, _>(id)
        .bind::<Nullable<Text>, _>(serial)
        .get_result(conn)
        .optional()
}

pub fn by_serial(conn: &mut PgConnection, serial: &str) -> QueryResult<Option<CertificateRow>> {
    select(conn, None, Some(serial))
}

/// The certificate, locked for the rest of the transaction.
pub fn by_serial_for_update(conn: &mut PgConnection, serial: &str) -> QueryResult<Option<CertificateRow>> {
    let locked: Option<i64> = certificates::table
        .filter(certificates::serial.eq(serial))
        .select(certificates::id)
        .for_update()
        .first(conn)
        .optional()?;
    match locked {
        Some(id) => select(conn, Some(id), None),
        None => Ok(None),
    }
}

pub fn by_id(conn: &mut PgConnection, id: i64) -> QueryResult<Option<CertificateRow>> {
    select(conn, Some(id), None)
}

/// The valid certificate over a right, locked.
pub fn valid_of_right_for_update(conn: &mut PgConnection, rrr_id: i64) -> QueryResult<Option<CertificateRow>> {
    let locked: Option<i64> = certificates::table
        .filter(certificates::rrr_id.eq(rrr_id))
        .filter(certificates::status.eq(Status::Valid.as_str()))
        .select(certificates::id)
        .for_update()
        .first(conn)
        .optional()?;
    match locked {
        Some(id) => select(conn, Some(id), None),
        None => Ok(None),
    }
}

/// The newest certificate ever issued over a right, whatever its status (e.g. the one a split
/// revoked, whose origin the parts' certificates carry on).
pub fn latest_of_right(conn: &mut PgConnection, rrr_id: i64) -> QueryResult<Option<CertificateRow>> {
    let id: Option<i64> = certificates::table
        .filter(certificates::rrr_id.eq(rrr_id))
        .order(certificates::id.desc())
        .select(certificates::id)
        .first(conn)
        .optional()?;
    match id {
        Some(id) => select(conn, Some(id), None),
        None => Ok(None),
    }
}

/// Any certificate already issued from this dossier.
pub fn serial_of_dossier(conn: &mut PgConnection, dossier_id: i64) -> QueryResult<Option<String>> {
    certificates::table
        .filter(certificates::dossier_id.eq(dossier_id))
        .order(certificates::id)
        .select(certificates::serial)
        .first(conn)
        .optional()
}

/// A certificate to insert, signed.
pub struct NewCertificate<'a> {
    /// An id reserved with [`reserve_id_for_successor`], or None for the next one.
    pub id: Option<i64>,
    pub serial: &'a str,
    pub registry_no: &'a str,
    pub registry_year: i32,
    pub province_code: &'a str,
    pub rrr_id: i64,
    pub issued_on: NaiveDate,
    pub issuing_authority: &'a str,
    pub dossier_id: Option<i64>,
    pub content: &'a serde_json::Value,
    pub key_id: &'a str,
    pub signature: &'a str,
    pub qr_payload: &'a str,
}

pub fn insert(conn: &mut PgConnection, c: &NewCertificate) -> QueryResult<i64> {
    diesel::insert_into(certificates::table)
        .values((
            c.id.map(|id| certificates::id.eq(id)),
            certificates::serial.eq(c.serial),
            certificates::registry_no.eq(c.registry_no),
            certificates::registry_year.eq(c.registry_year),
            certificates::province_code.eq(c.province_code),
            certificates::rrr_id.eq(c.rrr_id),
            certificates::issued_on.eq(c.issued_on),
            certificates::issuing_authority.eq(c.issuing_authority),
            certificates::dossier_id.eq(c.dossier_id),
            certificates::content.eq(c.content),
            certificates::key_id.eq(c.key_id),
            certificates::signature.eq(c.signature),
            certificates::qr_payload.eq(c.qr_payload),
        ))
        .returning(certificates::id)
        .get_result(conn)
}

/// Reserves the id of a certificate about to be inserted, and defers the check of
/// `replaced_by_id` to commit, so a predecessor over the same right can name its successor
/// before the successor exists (see migration 2026-11-23-000007).
pub fn reserve_id_for_successor(conn: &mut PgConnection) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    diesel::sql_query(DEFER_SUCCESSOR_CHECK).execute(conn)?;
    let r: Id = diesel::sql_query(NEXT_ID).get_result(conn)?;
    Ok(r.id)
}

/// Marks a valid certificate replaced by another.
pub fn mark_replaced(conn: &mut PgConnection, id: i64, by_id: i64) -> QueryResult<usize> {
    diesel::update(
        certificates::table.filter(certificates::id.eq(id)).filter(certificates::status.eq(Status::Valid.as_str())),
    )
    .set((certificates::status.eq(Status::Replaced.as_str()), certificates::replaced_by_id.eq(by_id)))
    .execute(conn)
}

/// Revokes a valid certificate; returns when.
pub fn revoke(conn: &mut PgConnection, id: i64, reason: &str) -> QueryResult<Option<DateTime<Utc>>> {
    let at: Option<Option<DateTime<Utc>>> = diesel::update(
        certificates::table.filter(certificates::id.eq(id)).filter(certificates::status.eq(Status::Valid.as_str())),
    )
    .set((
        certificates::status.eq(Status::Revoked.as_str()),
        certificates::revoked_at.eq(now.into_sql::<Timestamptz>().nullable()),
        certificates::revoked_reason.eq(reason),
    ))
    .returning(certificates::revoked_at)
    .get_result(conn)
    .optional()?;
    Ok(at.flatten())
}

/// Stores the content, signature and QR payload of a certificate recorded without them.
pub fn set_seal(
    conn: &mut PgConnection,
    id: i64,
    content: &serde_json::Value,
    key_id: &str,
    signature: &str,
    qr_payload: &str,
) -> QueryResult<usize> {
    diesel::update(certificates::table.find(id))
        .set((
            certificates::content.eq(content),
            certificates::key_id.eq(key_id),
            certificates::signature.eq(signature),
            certificates::qr_payload.eq(qr_payload),
        ))
        .execute(conn)
}

/// The certificate with this id, locked for the rest of the transaction.
pub fn by_id_for_update(conn: &mut PgConnection, id: i64) -> QueryResult<Option<CertificateRow>> {
    let locked: Option<i64> = certificates::table
        .filter(certificates::id.eq(id))
        .select(certificates::id)
        .for_update()
        .first(conn)
        .optional()?;
    match locked {
        Some(id) => select(conn, Some(id), None),
        None => Ok(None),
    }
}

/// Replaces the content, signature and QR payload of a valid certificate (after an
/// endorsement); returns 0 when it is no longer valid.
pub fn reseal(
    conn: &mut PgConnection,
    id: i64,
    content: &serde_json::Value,
    key_id: &str,
    signature: &str,
    qr_payload: &str,
) -> QueryResult<usize> {
    diesel::update(
        certificates::table.filter(certificates::id.eq(id)).filter(certificates::status.eq(Status::Valid.as_str())),
    )
    .set((
        certificates::content.eq(content),
        certificates::key_id.eq(key_id),
        certificates::signature.eq(signature),
        certificates::qr_payload.eq(qr_payload),
    ))
    .execute(conn)
}

// ---------------------------------------------------------------------------------------------
// Signing keys

/// Registers an office's public key (idempotent).
pub fn register_key(
    conn: &mut PgConnection,
    key_id: &str,
    province_code: &str,
    public_key: &[u8],
) -> QueryResult<usize> {
    diesel::insert_into(signing_keys::table)
        .values((
            signing_keys::key_id.eq(key_id),
            signing_keys::province_code.eq(province_code),
            signing_keys::public_key.eq(public_key),
        ))
        .on_conflict(signing_keys::key_id)
        .do_nothing()
        .execute(conn)
}

/// A registered public key.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = signing_keys, check_for_backend(Pg))]
pub struct KeyRow {
    pub key_id: String,
    pub province_code: String,
    pub public_key: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

pub fn keys(conn: &mut PgConnection) -> QueryResult<Vec<KeyRow>> {
    signing_keys::table
        .order((signing_keys::province_code, signing_keys::created_at, signing_keys::key_id))
        .select(KeyRow::as_select())
        .load(conn)
}

/// Reads an office's Ed25519 seed from `{dir}/{province}.ed25519` (64 hex digits), creating
/// it on first use. The directory is created 0700 and the file 0600. Creation is race-free
/// across threads and processes: the seed is written to a private temporary file and linked
/// into place, and whoever links second reads the winner's seed.
pub fn office_seed(dir: &Path, province_code: &str) -> std::io::Result<[u8; 32]> {
    use std::io::{Error, ErrorKind};
    if province_code.len() != 2 || !province_code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::new(ErrorKind::InvalidInput, format!("'{province_code}' is not a province code")));
    }
    named_seed(dir, province_code)
}

/// Creates `dir` (and its parents) with mode 0700 when it does not exist: keys and seals live
/// in such directories.
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    Ok(())
}

/// Reads (or creates on first use, as [`office_seed`]) the Ed25519 seed `{dir}/{name}.ed25519`;
/// e.g. `audit` for the key that seals the audit chain's head.
pub fn named_seed(dir: &Path, name: &str) -> std::io::Result<[u8; 32]> {
    use std::io::{Error, ErrorKind};
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(Error::new(ErrorKind::InvalidInput, format!("'{name}' is not a key name")));
    }
    let province_code = name;
    let path = dir.join(format!("{province_code}.ed25519"));
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            return parse_seed(&text).ok_or_else(|| {
                Error::new(ErrorKind::InvalidData, format!("{} is not a hex Ed25519 seed", path.display()))
            })
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    create_private_dir(dir)?;
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
    let tmp = dir.join(format!(".{province_code}.{}.{:016x}.tmp", std::process::id(), rand::random::<u64>()));
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp)?;
        file.write_all(format!("{}\n", hex::encode(seed)).as_bytes())?;
        file.sync_all()?;
    }
    let linked = std::fs::hard_link(&tmp, &path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(seed),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => named_seed(dir, province_code),
        Err(e) => Err(e),
    }
}

fn parse_seed(text: &str) -> Option<[u8; 32]> {
    hex::decode(text.trim()).ok()?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_created_once_and_private() {
        let dir =
            std::env::temp_dir().join(format!("diachinh-keytest-{}-{:x}", std::process::id(), rand::random::<u32>()));
        let seeds: Vec<[u8; 32]> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8).map(|_| s.spawn(|| office_seed(&dir, "92").unwrap())).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(seeds.windows(2).all(|w| w[0] == w[1]), "racing first uses must agree on one seed");
        assert_eq!(office_seed(&dir, "92").unwrap(), seeds[0]);
        assert_ne!(office_seed(&dir, "56").unwrap(), seeds[0]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
            assert_eq!(std::fs::metadata(dir.join("92.ed25519")).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2, "no temporary files left");
        assert!(office_seed(&dir, "../x").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
