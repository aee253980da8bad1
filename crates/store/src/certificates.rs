//! Certificates (giấy chứng nhận): blank stock, registry counters, certificate rows, the
//! offices' public keys — and the offices' private signing seeds, which live in files outside
//! the database (a database dump must not be enough to forge a certificate).

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bytea, Date, Integer, Jsonb, Nullable, Text, Timestamptz};

use domain::dossier::State;

use super::parcels::ParcelRow;
use crate::enums::Stored;

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
struct Serial {
    #[diesel(sql_type = Text)]
    serial: String,
}

// ---------------------------------------------------------------------------------------------
// Blank stock (phôi giấy chứng nhận)

/// Serials of `prefix` numbered `first..=last` already on record (as blanks or certificates).
pub fn overlapping_serials(conn: &mut PgConnection, prefix: &str, first: i32, last: i32) -> QueryResult<Vec<String>> {
    let rows: Vec<Serial> = diesel::sql_query(include_str!("sql/certificate_blank_overlaps.sql"))
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
    diesel::sql_query(
        "INSERT INTO certificate_blanks (serial, province_code) \
         SELECT $1 || lpad(n::text, 8, '0'), $2 FROM generate_series($3::integer, $4::integer) AS n",
    )
    .bind::<Text, _>(prefix)
    .bind::<Text, _>(province_code)
    .bind::<Integer, _>(first)
    .bind::<Integer, _>(last)
    .execute(conn)
}

/// A blank as recorded.
#[derive(Debug, Clone, QueryableByName)]
pub struct BlankRow {
    #[diesel(sql_type = Text)]
    pub serial: String,
    #[diesel(sql_type = Text)]
    pub province_code: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub voided_reason: Option<String>,
}

/// A blank, locked for the rest of the transaction.
pub fn blank_for_update(conn: &mut PgConnection, serial: &str) -> QueryResult<Option<BlankRow>> {
    diesel::sql_query(
        "SELECT serial, province_code, status, voided_reason FROM certificate_blanks WHERE serial = $1 FOR UPDATE",
    )
    .bind::<Text, _>(serial)
    .get_result(conn)
    .optional()
}

pub fn void_blank(conn: &mut PgConnection, serial: &str, reason: &str) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE certificate_blanks SET status = 'voided', voided_reason = $2 WHERE serial = $1 AND status = 'unused'",
    )
    .bind::<Text, _>(serial)
    .bind::<Text, _>(reason)
    .execute(conn)
}

/// Marks the province's next unused blank issued and returns its serial; None when the
/// province has no unused blank left (or every one is being taken by another transaction).
pub fn take_blank(conn: &mut PgConnection, province_code: &str) -> QueryResult<Option<String>> {
    let row: Option<Serial> = diesel::sql_query(include_str!("sql/certificate_take_blank.sql"))
        .bind::<Text, _>(province_code)
        .get_result(conn)
        .optional()?;
    Ok(row.map(|r| r.serial))
}

/// Records the serial of a certificate issued outside this service (sample data, imports) as
/// an issued blank, so it can never be registered or issued again.
pub fn record_issued_blank(conn: &mut PgConnection, serial: &str, province_code: &str) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO certificate_blanks (serial, province_code, status) VALUES ($1, $2, 'issued') \
         ON CONFLICT (serial) DO UPDATE SET status = 'issued' WHERE certificate_blanks.status = 'unused'",
    )
    .bind::<Text, _>(serial)
    .bind::<Text, _>(province_code)
    .execute(conn)
}

// ---------------------------------------------------------------------------------------------
// Registry book numbers (số vào sổ); the next one comes from `crate::counters`.

/// Raises every counter to the highest number already used by certificates on record
/// ("CS 00120" → 120), e.g. after loading certificates issued elsewhere.
pub fn sync_registry_counters(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO registry_counters (province_code, year, last_no) \
         SELECT province_code, registry_year, max(substring(registry_no FROM '([0-9]+)$')::integer) \
           FROM certificates WHERE registry_no ~ '[0-9]+$' GROUP BY province_code, registry_year \
         ON CONFLICT (province_code, year) DO UPDATE SET last_no = greatest(registry_counters.last_no, excluded.last_no)",
    )
    .execute(conn)
}

// ---------------------------------------------------------------------------------------------
// Dossiers, checks and parcels as issuance sees them

/// A dossier as issuance needs it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::schema::dossiers, check_for_backend(diesel::pg::Pg))]
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
    use crate::schema::dossiers;
    dossiers::table
        .filter(dossiers::id.eq(dossier_id))
        .select(DossierRow::as_select())
        .for_no_key_update()
        .get_result(conn)
        .optional()
}

/// Parcels named in a dossier.
pub fn dossier_parcels(conn: &mut PgConnection, dossier_id: i64) -> QueryResult<Vec<i64>> {
    let rows: Vec<Id> =
        diesel::sql_query("SELECT parcel_id AS id FROM dossier_parcels WHERE dossier_id = $1 ORDER BY parcel_id")
            .bind::<BigInt, _>(dossier_id)
            .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// The newest geometry check of a dossier.
#[derive(Debug, Clone, QueryableByName)]
pub struct CheckRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub outcome: String,
    #[diesel(sql_type = Timestamptz)]
    pub checked_at: DateTime<Utc>,
}

pub fn latest_check(conn: &mut PgConnection, dossier_id: i64) -> QueryResult<Option<CheckRow>> {
    diesel::sql_query("SELECT id, outcome, checked_at FROM geometry_checks WHERE dossier_id = $1 ORDER BY checked_at DESC, id DESC LIMIT 1")
        .bind::<BigInt, _>(dossier_id)
        .get_result(conn)
        .optional()
}

const PARCEL_SELECT: &str = include_str!("sql/parcel_select.sql");

/// The parcel's current version, share-locked so its boundary cannot change before commit.
pub fn current_version_locked(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<Option<ParcelRow>> {
    #[derive(QueryableByName)]
    struct V {
        #[diesel(sql_type = BigInt)]
        #[allow(dead_code)]
        id: i64,
    }
    let locked: Option<V> =
        diesel::sql_query("SELECT id FROM parcel_versions WHERE parcel_id = $1 AND valid_to IS NULL FOR SHARE")
            .bind::<BigInt, _>(parcel_id)
            .get_result(conn)
            .optional()?;
    if locked.is_none() {
        return Ok(None);
    }
    diesel::sql_query(format!("{PARCEL_SELECT} WHERE v.parcel_id = $1 AND v.valid_to IS NULL"))
        .bind::<BigInt, _>(parcel_id)
        .get_result(conn)
        .optional()
}

/// One version of a parcel.
pub fn parcel_version(conn: &mut PgConnection, parcel_id: i64, version: i32) -> QueryResult<Option<ParcelRow>> {
    diesel::sql_query(format!("{PARCEL_SELECT} WHERE v.parcel_id = $1 AND v.version = $2"))
        .bind::<BigInt, _>(parcel_id)
        .bind::<Integer, _>(version)
        .get_result(conn)
        .optional()
}

/// The version a right was registered on.
pub fn version_by_id(conn: &mut PgConnection, version_id: i64) -> QueryResult<Option<ParcelRow>> {
    diesel::sql_query(format!("{PARCEL_SELECT} WHERE v.id = $1"))
        .bind::<BigInt, _>(version_id)
        .get_result(conn)
        .optional()
}

/// Names of land-use codes.
pub fn land_use_names(conn: &mut PgConnection, codes: &[String]) -> QueryResult<Vec<(String, String)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        code: String,
        #[diesel(sql_type = Text)]
        name: String,
    }
    let rows: Vec<Row> = diesel::sql_query("SELECT code, name FROM land_use_types WHERE code = ANY($1)")
        .bind::<Array<Text>, _>(codes)
        .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.code, r.name)).collect())
}

/// A province in force.
#[derive(Debug, Clone, QueryableByName)]
pub struct ProvinceRow {
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub division_type: String,
    #[diesel(sql_type = Nullable<Integer>)]
    pub default_crs_epsg: Option<i32>,
}

pub fn province(conn: &mut PgConnection, code: &str) -> QueryResult<Option<ProvinceRow>> {
    diesel::sql_query(
        "SELECT code, name, division_type, default_crs_epsg FROM admin_units \
         WHERE level = 'province' AND code = $1 AND valid_to IS NULL",
    )
    .bind::<Text, _>(code)
    .get_result(conn)
    .optional()
}

// ---------------------------------------------------------------------------------------------
// Rights

/// A current use right.
#[derive(Debug, Clone, QueryableByName)]
pub struct RightRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub parcel_version_id: i64,
}

/// The parcel's current use right, locked.
pub fn current_use_right(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<Option<RightRow>> {
    diesel::sql_query(
        "SELECT id, parcel_version_id FROM rrrs WHERE parcel_id = $1 AND kind = 'use_right' AND valid_to IS NULL FOR UPDATE",
    )
    .bind::<BigInt, _>(parcel_id)
    .get_result(conn)
    .optional()
}

/// Ends a right at the transaction's time (a new right starting now follows it seamlessly).
pub fn close_right(conn: &mut PgConnection, rrr_id: i64) -> QueryResult<usize> {
    diesel::sql_query("UPDATE rrrs SET valid_to = now() WHERE id = $1 AND valid_to IS NULL")
        .bind::<BigInt, _>(rrr_id)
        .execute(conn)
}

/// A holder of a right with the personal data the certificate prints.
#[derive(Debug, Clone, QueryableByName)]
pub struct RightHolderRow {
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub full_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub id_number: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Double)]
    pub share: f64,
}

pub fn right_holders(conn: &mut PgConnection, rrr_id: i64) -> QueryResult<Vec<RightHolderRow>> {
    diesel::sql_query(
        "SELECT pa.kind, pa.full_name, pa.id_number, s.share::float8 AS share FROM rrr_shares s \
         JOIN parties pa ON pa.id = s.party_id WHERE s.rrr_id = $1 ORDER BY s.share DESC, pa.id",
    )
    .bind::<BigInt, _>(rrr_id)
    .load(conn)
}

/// The right's parcel version id.
pub fn right_version(conn: &mut PgConnection, rrr_id: i64) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct V {
        #[diesel(sql_type = BigInt)]
        parcel_version_id: i64,
    }
    let v: V = diesel::sql_query("SELECT parcel_version_id FROM rrrs WHERE id = $1")
        .bind::<BigInt, _>(rrr_id)
        .get_result(conn)?;
    Ok(v.parcel_version_id)
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
    #[diesel(sql_type = Text)]
    pub status: String,
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

const CERTIFICATE_SELECT: &str = include_str!("sql/certificate_select.sql");

pub fn by_serial(conn: &mut PgConnection, serial: &str) -> QueryResult<Option<CertificateRow>> {
    diesel::sql_query(format!("{CERTIFICATE_SELECT} WHERE c.serial = $1"))
        .bind::<Text, _>(serial)
        .get_result(conn)
        .optional()
}

/// The certificate, locked for the rest of the transaction.
pub fn by_serial_for_update(conn: &mut PgConnection, serial: &str) -> QueryResult<Option<CertificateRow>> {
    diesel::sql_query(format!("{CERTIFICATE_SELECT} WHERE c.serial = $1 FOR UPDATE OF c"))
        .bind::<Text, _>(serial)
        .get_result(conn)
        .optional()
}

pub fn by_id(conn: &mut PgConnection, id: i64) -> QueryResult<Option<CertificateRow>> {
    diesel::sql_query(format!("{CERTIFICATE_SELECT} WHERE c.id = $1")).bind::<BigInt, _>(id).get_result(conn).optional()
}

/// The valid certificate over a right, locked.
pub fn valid_of_right_for_update(conn: &mut PgConnection, rrr_id: i64) -> QueryResult<Option<CertificateRow>> {
    diesel::sql_query(format!("{CERTIFICATE_SELECT} WHERE c.rrr_id = $1 AND c.status = 'valid' FOR UPDATE OF c"))
        .bind::<BigInt, _>(rrr_id)
        .get_result(conn)
        .optional()
}

/// Any certificate already issued from this dossier.
pub fn serial_of_dossier(conn: &mut PgConnection, dossier_id: i64) -> QueryResult<Option<String>> {
    let row: Option<Serial> =
        diesel::sql_query("SELECT serial FROM certificates WHERE dossier_id = $1 ORDER BY id LIMIT 1")
            .bind::<BigInt, _>(dossier_id)
            .get_result(conn)
            .optional()?;
    Ok(row.map(|r| r.serial))
}

/// A certificate to insert, signed.
pub struct NewCertificate<'a> {
    /// An id reserved with [`reserve_id`], or None for the next one.
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
    let r: Id = diesel::sql_query(
        "INSERT INTO certificates (id, serial, registry_no, registry_year, province_code, rrr_id, issued_on, \
           issuing_authority, dossier_id, content, key_id, signature, qr_payload) \
         VALUES (coalesce($1, nextval(pg_get_serial_sequence('certificates', 'id'))), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         RETURNING id",
    )
    .bind::<Nullable<BigInt>, _>(c.id)
    .bind::<Text, _>(c.serial)
    .bind::<Text, _>(c.registry_no)
    .bind::<Integer, _>(c.registry_year)
    .bind::<Text, _>(c.province_code)
    .bind::<BigInt, _>(c.rrr_id)
    .bind::<Date, _>(c.issued_on)
    .bind::<Text, _>(c.issuing_authority)
    .bind::<Nullable<BigInt>, _>(c.dossier_id)
    .bind::<Jsonb, _>(c.content)
    .bind::<Text, _>(c.key_id)
    .bind::<Text, _>(c.signature)
    .bind::<Text, _>(c.qr_payload)
    .get_result(conn)?;
    Ok(r.id)
}

/// Reserves the id of a certificate about to be inserted, and defers the check of
/// `replaced_by_id` to commit, so a predecessor over the same right can name its successor
/// before the successor exists (see migration 2026-11-23-000007).
pub fn reserve_id_for_successor(conn: &mut PgConnection) -> QueryResult<i64> {
    diesel::sql_query("SET CONSTRAINTS certificates_replaced_by_id_fkey DEFERRED").execute(conn)?;
    let r: Id =
        diesel::sql_query("SELECT nextval(pg_get_serial_sequence('certificates', 'id')) AS id").get_result(conn)?;
    Ok(r.id)
}

/// Marks a valid certificate replaced by another.
pub fn mark_replaced(conn: &mut PgConnection, id: i64, by_id: i64) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE certificates SET status = 'replaced', replaced_by_id = $2 WHERE id = $1 AND status = 'valid'",
    )
    .bind::<BigInt, _>(id)
    .bind::<BigInt, _>(by_id)
    .execute(conn)
}

/// Revokes a valid certificate; returns when.
pub fn revoke(conn: &mut PgConnection, id: i64, reason: &str) -> QueryResult<Option<DateTime<Utc>>> {
    #[derive(QueryableByName)]
    struct At {
        #[diesel(sql_type = Timestamptz)]
        revoked_at: DateTime<Utc>,
    }
    let r: Option<At> = diesel::sql_query(
        "UPDATE certificates SET status = 'revoked', revoked_at = now(), revoked_reason = $2 \
         WHERE id = $1 AND status = 'valid' RETURNING revoked_at",
    )
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(reason)
    .get_result(conn)
    .optional()?;
    Ok(r.map(|r| r.revoked_at))
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
    diesel::sql_query(
        "UPDATE certificates SET content = $2, key_id = $3, signature = $4, qr_payload = $5 WHERE id = $1",
    )
    .bind::<BigInt, _>(id)
    .bind::<Jsonb, _>(content)
    .bind::<Text, _>(key_id)
    .bind::<Text, _>(signature)
    .bind::<Text, _>(qr_payload)
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
    diesel::sql_query("INSERT INTO signing_keys (key_id, province_code, public_key) VALUES ($1, $2, $3) ON CONFLICT (key_id) DO NOTHING")
        .bind::<Text, _>(key_id)
        .bind::<Text, _>(province_code)
        .bind::<Bytea, _>(public_key)
        .execute(conn)
}

/// A registered public key.
#[derive(Debug, Clone, QueryableByName)]
pub struct KeyRow {
    #[diesel(sql_type = Text)]
    pub key_id: String,
    #[diesel(sql_type = Text)]
    pub province_code: String,
    #[diesel(sql_type = Bytea)]
    pub public_key: Vec<u8>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

pub fn keys(conn: &mut PgConnection) -> QueryResult<Vec<KeyRow>> {
    diesel::sql_query("SELECT key_id, province_code, public_key, created_at FROM signing_keys ORDER BY province_code, created_at, key_id").load(conn)
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
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
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
