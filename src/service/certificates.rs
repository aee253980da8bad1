//! Certificate use cases (giấy chứng nhận): blank stock, issuance for an approved dossier,
//! revocation (thu hồi), replacement (cấp lại / cấp đổi), transfer (chuyển nhượng / thừa kế /
//! tặng cho), public verification, the offices' public keys and the printable sheet.
//!
//! Each write is one transaction with its audit entry. Double issuance is refused in code and
//! made impossible by the database: one current use right per parcel
//! (`rrrs_one_current_use_right`) and one valid certificate per right
//! (`certificates_one_valid_per_right`); a violation that slips past the checks because of a
//! concurrent transaction comes back as 409.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel::{Connection, PgConnection};
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::authz::{self, authorize, Action};
use super::{audit_json, Actor, DbContext, Error, FieldError, Settings};
use domain::certificate::{self as cert, print, Content, Holder, LandUse, ParcelBlock, Predecessor, Sealed, UseForm};
use domain::crs::{nearest_zone, Crs};
use domain::dossier::State;
use domain::ids::CertificateSerial;
use domain::parcel::is_land_use_code;
use domain::restriction::ProcedureOutcome;
use store::parcels::ParcelRow;
use store::{audit, certificates as db, rights};

// ---------------------------------------------------------------------------------------------
// Requests

/// A holder named on the certificate (người sử dụng đất), as Circular 10/2024 Art. 32 prints
/// it: a person (with their spouse when the right is the couple's), a household (with its
/// members), an organisation, a religious establishment, a community or a foreign-invested entity.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolderInput {
    /// person (cá nhân), household (hộ gia đình), organisation (tổ chức), religious (cơ sở tôn
    /// giáo), community (cộng đồng dân cư) or foreign_invested (tổ chức kinh tế có vốn đầu tư
    /// nước ngoài).
    pub kind: String,
    /// The person's, the household head's or the organisation's name.
    pub name: String,
    /// Số định danh cá nhân / mã số: printed on the certificate, never shown publicly.
    pub id_number: Option<String>,
    /// Share of the right; the shares of all holders add up to 1 (± 1e-6). A married couple or
    /// a household holds one share together (1 when it holds the whole right).
    pub share: f64,
    /// ong (Ông) or ba (Bà): a person, or a household's head. Required with a spouse.
    pub title: Option<String>,
    /// Địa chỉ: personal data, never shown publicly.
    pub address: Option<String>,
    /// The spouse with whom a person holds the right as the couple's common property, without
    /// shares (printed "Ông … và vợ: Bà …").
    pub spouse: Option<MemberInput>,
    /// A household's members who share its right (printed under "Hộ ông/bà …").
    pub members: Option<Vec<MemberInput>>,
}

/// A spouse or a household member: shares the holder's right without a share of their own.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    /// ong or ba; required for a spouse.
    pub title: Option<String>,
    pub name: String,
    pub id_number: Option<String>,
    /// Quan hệ với chủ hộ, e.g. "con".
    pub relation: Option<String>,
}

impl HolderInput {
    /// The holder, checked; pointers relative to the holder object.
    pub(crate) fn parse(&self) -> Result<Holder, cert::InputError> {
        fn member(m: &MemberInput) -> cert::MemberFields<'_> {
            cert::MemberFields {
                title: m.title.as_deref(),
                name: &m.name,
                id_number: m.id_number.as_deref(),
                relation: m.relation.as_deref(),
            }
        }
        Holder::parse_fields(&cert::HolderFields {
            kind: &self.kind,
            name: &self.name,
            id_number: self.id_number.as_deref(),
            share: self.share,
            title: self.title.as_deref(),
            address: self.address.as_deref(),
            spouse: self.spouse.as_ref().map(member),
            members: self.members.iter().flatten().map(member).collect(),
        })
    }
}

/// Thời hạn sử dụng for one of the parcel's land uses (omitted: as recorded on the parcel;
/// null: lâu dài, long-term).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LandUseTerm {
    /// Mã loại đất of one of the parcel's land uses.
    pub code: String,
    pub use_until: Option<NaiveDate>,
}

/// `POST /dossiers/{id}/certificate`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// The holders (người sử dụng đất). Required, except for a split/merge dossier: omitted,
    /// each new parcel's certificate names the holders its right carried from the old parcel.
    pub holders: Option<Vec<HolderInput>>,
    pub land_uses: Option<Vec<LandUseTerm>>,
    /// Nguồn gốc sử dụng.
    pub origin: Option<String>,
    /// Ghi chú printed in section 4.
    pub notes: Option<String>,
}

/// `POST /certificates/{serial}/revoke`: thu hồi Giấy chứng nhận. The decision ends the right.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// Why (căn cứ thu hồi), e.g. "cấp sai đối tượng".
    pub reason: String,
    /// Số quyết định thu hồi, e.g. "123/QĐ-UBND": recorded with the reason on the certificate
    /// and as the reason the right ended.
    pub decision: Option<String>,
}

/// `POST /certificate-blanks`: a print run of blanks (phôi) received by an office.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlankRangeRequest {
    /// Province code (2 digits) of the office that holds the blanks.
    pub province: String,
    /// Two capital letters (A–Z, Đ).
    pub prefix: String,
    /// First and last number of the run (up to 8 digits).
    pub first: u32,
    pub last: u32,
}

/// A reason, for voiding a blank or revoking a certificate.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    pub reason: String,
}

/// `POST /certificates/{serial}/replace`: cấp lại (lost) or cấp đổi (damaged, exchange).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceRequest {
    /// lost, damaged or exchange. An exchange re-reads the parcel's current version.
    pub reason: String,
    pub notes: Option<String>,
}

/// `POST /certificates/{serial}/transfer`: new holders take over the right.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// transfer (chuyển nhượng), inheritance (thừa kế) or gift (tặng cho).
    pub kind: String,
    pub holders: Vec<HolderInput>,
    pub land_uses: Option<Vec<LandUseTerm>>,
    pub notes: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Views

/// `POST /certificate-blanks`: the range registered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BlankRangeView {
    /// Province code of the office holding the blanks.
    pub province: String,
    pub prefix: String,
    /// First and last serial of the range.
    pub first: String,
    pub last: String,
    /// Blanks registered.
    pub count: usize,
}

/// `POST /certificate-blanks/{serial}/void`: the voided blank.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VoidedBlankView {
    pub serial: String,
    pub province: String,
    /// Always `voided`.
    pub status: String,
    pub reason: String,
}

/// Links to a certificate's public verification and its printable sheet (relative).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CertificateLinks {
    pub verify: String,
    pub print: String,
}

/// A certificate's full record, for staff: signed content, signature and QR payload.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CertificateView {
    /// Số phát hành.
    pub serial: String,
    /// valid, revoked or replaced.
    pub status: String,
    /// Số vào sổ cấp giấy chứng nhận.
    pub registry_no: String,
    pub issued_on: NaiveDate,
    /// The issuing authority (cơ quan cấp).
    pub authority: String,
    pub province_code: String,
    /// The dossier it was issued for, if any.
    pub dossier_id: Option<i64>,
    /// Serial of the certificate that replaced this one.
    pub replaced_by: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
    /// The signed content (schema `content_schema`); null for certificates recorded before signing.
    #[schema(value_type = Option<Object>)]
    pub content: Option<Value>,
    pub key_id: Option<String>,
    /// Ed25519 signature (base64url) over the canonical content.
    pub signature: Option<String>,
    /// The URL printed in the QR code.
    pub qr_payload: Option<String>,
    pub links: CertificateLinks,
}

/// `POST /dossiers/{id}/certificate`: a split/merge dossier answers `{certificates: [...]}`,
/// one per new parcel; every other procedure answers the one certificate.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum IssuedView {
    /// A first registration or a transfer: the certificate.
    One(Box<CertificateView>),
    /// A split or merge (tách/hợp thửa): a certificate per new parcel.
    Several(CertificateList),
}

/// The certificates one split/merge dossier issued, by parcel id.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CertificateList {
    pub certificates: Vec<CertificateView>,
}

/// A holder as shown publicly: persons' names masked, no id numbers or addresses.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicHolder {
    /// person, household, organisation, religious, community or foreign_invested.
    pub kind: String,
    pub name: String,
    pub share: f64,
    /// The spouse sharing the right without shares, masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spouse: Option<String>,
    /// A household's members sharing its right, masked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
}

/// A change registered after issuance, as the public may see it: what, when, under which
/// dossier; never who.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicChange {
    /// purpose, holder_details, term, boundary, inheritance, share_transfer or division.
    pub kind: String,
    /// endorsement (entered on the certificate) or new_certificate (it replaced the certificate).
    pub result: String,
    /// What changed, without names ("chuyển mục đích sử dụng đất: HNK → CLN").
    pub summary: String,
    /// Vietnam date it was registered.
    pub recorded_on: NaiveDate,
    /// Receipt number of the dossier (hồ sơ số).
    pub dossier: String,
    /// Registered after the deadline of Land Law 2024 Art. 133(3).
    pub late: bool,
}

/// `GET /certificates/verify/{serial}`: the public verification.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerificationView {
    pub serial: String,
    /// valid, revoked or replaced.
    pub status: String,
    /// Whether the certificate is in force (status valid).
    pub valid: bool,
    pub issued_on: NaiveDate,
    pub authority: String,
    pub national_parcel_id: String,
    pub holders: Vec<PublicHolder>,
    pub replaced_by: Option<String>,
    pub replaced_on: Option<NaiveDate>,
    /// Date of revocation (Vietnam time).
    pub revoked_on: Option<NaiveDate>,
    pub key_id: Option<String>,
    /// Reference hash of the certificate's current signed content (base64url of the first 128
    /// bits of SHA-256 of its canonical form), as the QR code carries it in `h`; null for a
    /// certificate recorded without signed content.
    pub content_hash: Option<String>,
    /// With `h` in the URL (a scanned QR code): whether it is the current content's hash. False
    /// when the certificate was endorsed (e.g. a mortgage entered or deleted) after that paper
    /// was printed: the paper is outdated. Null without `h`.
    pub content_current: Option<bool>,
    /// Changes registered after issuance that endorsed this certificate or replaced it, oldest first.
    pub changes: Vec<PublicChange>,
}

/// What a scanned QR code adds to the verification URL (see `domain::certificate::qr`).
#[derive(Debug, Clone, Default)]
pub struct ScannedReference {
    /// `h`: the content hash printed in the QR code.
    pub h: Option<String>,
    /// `k`: the key id; for offline verifiers, checked here for shape only.
    pub k: Option<String>,
    /// `s`: the signature; for offline verifiers, checked here for shape only.
    pub s: Option<String>,
}

/// One office's public key.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicKeyView {
    pub key_id: String,
    pub province_code: String,
    /// Always `Ed25519`.
    pub algorithm: String,
    /// The public key, hex.
    pub public_key: String,
    pub created_at: DateTime<Utc>,
}

/// `GET /certificates/keys`: the offices' public keys and how to verify a QR payload.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeysView {
    /// Always `Ed25519`.
    pub algorithm: String,
    /// How the signed bytes are formed.
    pub canonical_form: String,
    pub keys: Vec<PublicKeyView>,
}

// ---------------------------------------------------------------------------------------------
// Parsing

fn parse_holders(inputs: &[HolderInput]) -> Result<Vec<Holder>, Error> {
    let holders = parse_holder_list("/holders", inputs)?;
    cert::check_holders(&holders).map_err(|e| Error::invalid(e.pointer, e.message))?;
    Ok(holders)
}

/// Each holder of a list, checked on its own (the shares' sum is the caller's to check);
/// pointers `{prefix}/{i}/…`.
pub(crate) fn parse_holder_list(prefix: &str, inputs: &[HolderInput]) -> Result<Vec<Holder>, Error> {
    let mut holders = Vec::with_capacity(inputs.len());
    let mut errors = Vec::new();
    for (i, h) in inputs.iter().enumerate() {
        match h.parse() {
            Ok(holder) => holders.push(holder),
            Err(e) => errors.push(FieldError::pointer(format!("{prefix}/{i}{}", e.pointer), e.message)),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    Ok(holders)
}

pub(crate) type Terms = Vec<(String, Option<NaiveDate>)>;

fn parse_terms(terms: Option<&[LandUseTerm]>) -> Result<Terms, Error> {
    let mut out: Terms = Vec::new();
    for (i, t) in terms.unwrap_or_default().iter().enumerate() {
        if !is_land_use_code(&t.code) {
            return Err(Error::invalid(
                format!("/land_uses/{i}/code"),
                "a land-use code is three capital letters, e.g. ODT",
            ));
        }
        if out.iter().any(|(c, _)| c == &t.code) {
            return Err(Error::invalid(format!("/land_uses/{i}/code"), "given twice"));
        }
        out.push((t.code.clone(), t.use_until));
    }
    Ok(out)
}

fn optional_text(pointer: &str, text: Option<&str>) -> Result<Option<String>, Error> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) if t.chars().count() <= 2000 => Ok(Some(t.to_string())),
        Some(_) => Err(Error::invalid(pointer, "at most 2000 characters")),
    }
}

fn required_text(pointer: &str, text: &str) -> Result<String, Error> {
    optional_text(pointer, Some(text))?.ok_or_else(|| Error::invalid(pointer, "this text is required"))
}

/// The HTTP edge parses `{serial}` as a `CertificateSerial`; this keeps the use cases safe
/// for other callers (the CLI, tools).
fn check_serial(serial: &str) -> Result<(), Error> {
    serial.parse::<CertificateSerial>().map(|_| ()).map_err(|e| Error::bad_parameter("serial", e.to_string()))
}

pub(crate) fn conflict(message: impl Into<String>) -> Error {
    Error::Conflict { message: message.into(), errors: vec![] }
}

/// Unique violations raised by the database's own guarantees, as 409 with what they mean.
pub(crate) fn conflict_or_db(e: diesel::result::Error, context: &'static str) -> Error {
    let e = store::StoreError::from(e);
    if let store::StoreError::Unique { constraint } = &e {
        let message = match constraint.as_deref() {
            Some("certificates_one_valid_per_right") => "the right already has a valid certificate",
            Some("rrrs_one_current_use_right") => {
                "the parcel already has a current use right: a certificate was issued for it meanwhile"
            }
            Some("certificate_blanks_pkey") => "some of these serials are already registered",
            Some("certificates_serial_key") => "this serial has already been used",
            Some("certificates_registry_unique") => "this registry number is already taken",
            Some("signing_keys_pkey") => "the signing key was registered concurrently; try again",
            _ => "the write conflicts with a record made at the same time",
        };
        return conflict(message);
    }
    Error::db(context, e)
}

fn not_found(serial: &str) -> Error {
    Error::NotFound(format!("certificate {serial}"))
}

// ---------------------------------------------------------------------------------------------
// Blank stock

/// `POST /certificate-blanks` (admin): registers a range of unused blanks for a province.
pub fn register_blanks(
    conn: &mut PgConnection,
    actor: &Actor,
    req: &BlankRangeRequest,
) -> Result<BlankRangeView, Error> {
    let range =
        cert::BlankRange::new(&req.prefix, req.first, req.last).map_err(|e| Error::invalid(e.pointer, e.message))?;
    conn.transaction(|conn| {
        let province = db::province(conn, &req.province)
            .context_db("finding the province")?
            .ok_or_else(|| Error::invalid("/province", format!("no province in force has code '{}'", req.province)))?;
        authorize(actor, Action::BlankRegister, &province.code)?;
        let taken = db::overlapping_serials(conn, range.prefix.as_str(), range.first as i32, range.last as i32)
            .context_db("checking the range against serials on record")?;
        if !taken.is_empty() {
            return Err(Error::Conflict {
                message: format!(
                    "the range {}–{} overlaps serials already on record; serials are never reused",
                    range.first_serial(),
                    range.last_serial()
                ),
                errors: vec![FieldError::pointer("/first", format!("already on record: {}", taken.join(", ")))],
            });
        }
        let n = db::insert_blanks(conn, &province.code, range.prefix.as_str(), range.first as i32, range.last as i32)
            .map_err(|e| conflict_or_db(e, "registering the blanks"))?;
        let view = BlankRangeView {
            province: province.code.clone(),
            prefix: range.prefix.as_str().to_string(),
            first: range.first_serial().to_string(),
            last: range.last_serial().to_string(),
            count: n,
        };
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: Some(actor.user_id),
                actor: &actor.username,
                action: "certificate_blanks.register",
                entity: "certificate_blanks",
                entity_id: &format!("{}..{}", range.first_serial(), range.last_serial()),
                before: None,
                after: Some(audit_json(&view)?),
            },
        )
        .context_db("writing the audit log")?;
        Ok(view)
    })
}

/// `POST /certificate-blanks/{serial}/void` (admin, or the province's approver): records a
/// spoiled blank. It stays on record as voided and is never issued.
pub fn void_blank(
    conn: &mut PgConnection,
    actor: &Actor,
    serial: &str,
    req: &ReasonRequest,
) -> Result<VoidedBlankView, Error> {
    let serial = cert::Serial::parse(serial).map_err(|m| Error::bad_parameter("serial", m))?.to_string();
    let reason = required_text("/reason", &req.reason)?;
    conn.transaction(|conn| {
        let blank = db::blank_for_update(conn, &serial)
            .context_db("loading the blank")?
            .ok_or_else(|| Error::NotFound(format!("blank {serial}")))?;
        authorize(actor, Action::BlankVoid, &blank.province_code)?;
        match blank.status {
            cert::BlankStatus::Unused => {}
            cert::BlankStatus::Voided => return Err(conflict(format!("blank {serial} is already voided"))),
            cert::BlankStatus::Issued => {
                return Err(conflict(format!(
                    "blank {serial} carries an issued certificate: revoke or replace the certificate instead"
                )))
            }
        }
        db::void_blank(conn, &serial, &reason).context_db("voiding the blank")?;
        let view = VoidedBlankView {
            serial: serial.clone(),
            province: blank.province_code.clone(),
            status: cert::BlankStatus::Voided.as_str().into(),
            reason: reason.clone(),
        };
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: Some(actor.user_id),
                actor: &actor.username,
                action: "certificate_blank.void",
                entity: "certificate_blank",
                entity_id: &serial,
                before: Some(json!({"serial": serial, "status": blank.status.as_str()})),
                after: Some(audit_json(&view)?),
            },
        )
        .context_db("writing the audit log")?;
        Ok(view)
    })
}

// ---------------------------------------------------------------------------------------------
// Building and signing certificates

#[derive(Deserialize)]
struct RecordedLandUse {
    code: String,
    area_m2: f64,
    use_until: Option<NaiveDate>,
}

/// Section 2 from a parcel version. Terms come from `previous` (the certificate being
/// superseded) where it names the same land use, then from the request's `terms`.
pub(crate) fn parcel_block(
    conn: &mut PgConnection,
    parcel: &ParcelRow,
    use_form: UseForm,
    previous: Option<&[LandUse]>,
    terms: &Terms,
) -> Result<ParcelBlock, Error> {
    let recorded: Vec<RecordedLandUse> = serde_json::from_str(&parcel.land_uses)
        .map_err(|e| anyhow::anyhow!("land uses of parcel {}: {e}", parcel.national_id))?;
    for (i, (code, _)) in terms.iter().enumerate() {
        if !recorded.iter().any(|r| &r.code == code) {
            return Err(Error::invalid(
                format!("/land_uses/{i}/code"),
                format!("parcel {} has no land use {code}", parcel.national_id),
            ));
        }
    }
    let codes: Vec<String> = recorded.iter().map(|r| r.code.clone()).collect();
    let names = db::land_use_names(conn, &codes).context_db("loading land-use names")?;
    let land_uses = recorded
        .into_iter()
        .map(|r| {
            let mut use_until = r.use_until;
            if let Some(prev) = previous.and_then(|p| p.iter().find(|l| l.code == r.code)) {
                use_until = prev.use_until;
            }
            if let Some((_, t)) = terms.iter().find(|(c, _)| c == &r.code) {
                use_until = *t;
            }
            let name = names.iter().find(|(c, _)| c == &r.code).map_or_else(|| r.code.clone(), |(_, n)| n.clone());
            LandUse { code: r.code, name, area_m2: r.area_m2, use_until }
        })
        .collect();
    Ok(ParcelBlock {
        national_id: parcel.national_id.clone(),
        commune_code: parcel.commune_code.clone(),
        commune_name: parcel.commune_name.clone(),
        registered_commune_code: parcel.registered_commune_code.clone(),
        sheet_no: parcel.sheet_no,
        parcel_no: parcel.parcel_no,
        version: parcel.version,
        area_m2: parcel.legal_area_m2,
        land_uses,
        use_form,
        address: parcel.address.clone(),
    })
}

/// The office's signing key, its public half registered for verifiers.
fn office_key(conn: &mut PgConnection, settings: &Settings, province_code: &str) -> Result<SigningKey, Error> {
    let seed = db::office_seed(&settings.key_dir, province_code).map_err(|e| {
        anyhow::anyhow!(
            "while reading the signing key of province {province_code} under {}: {e}",
            settings.key_dir.display()
        )
    })?;
    let key = SigningKey::from_bytes(&seed);
    let public = key.verifying_key();
    db::register_key(conn, &cert::key_id(province_code, &public), province_code, public.as_bytes())
        .map_err(|e| conflict_or_db(e, "registering the public key"))?;
    Ok(key)
}

/// What a new certificate says besides its serial, numbers and date.
pub(crate) struct Draft {
    /// The procedure it is issued under: with the holders' kind, it says who signs and in which
    /// registry book (the issuing-authority table).
    pub procedure: String,
    pub rrr_id: i64,
    pub holders: Vec<Holder>,
    pub parcel: ParcelBlock,
    pub origin: Option<String>,
    pub notes: Option<String>,
    pub replaces: Option<Predecessor>,
    pub dossier_id: Option<i64>,
    /// An id reserved because a predecessor already points at it.
    pub reserved_id: Option<i64>,
}

/// Takes a blank and a registry number, signs the content and inserts the certificate.
pub(crate) fn write_certificate(
    conn: &mut PgConnection,
    settings: &Settings,
    base_url: &str,
    now: DateTime<Utc>,
    province: &db::ProvinceRow,
    draft: Draft,
) -> Result<(i64, Content), Error> {
    let serial = db::take_blank(conn, &province.code).context_db("taking a blank")?.ok_or_else(|| {
        conflict(format!("no blank stock: province {} has no unused certificate blanks; register a range with POST /certificate-blanks", province.code))
    })?;
    let issued_on = cert::vietnam_date(now);
    let year = issued_on.year();
    let number = store::counters::next(conn, store::counters::Counter::Registry { province: &province.code, year })
        .context_db("numbering the registry entry")?;
    // Who signs and the registry book: the first holder's kind decides (an organisation's
    // certificate may be the Department's, a person's the registration office's).
    let holder_kind = draft.holders.first().map_or("person", |h| h.kind.as_str());
    let (template, prefix) = db::issuing_authority(conn, &province.code, &draft.procedure, holder_kind)
        .context_db("finding the issuing authority")?
        .unwrap_or_else(|| (cert::DEFAULT_AUTHORITY.to_string(), cert::DEFAULT_REGISTRY_PREFIX.to_string()));
    let content = Content {
        schema: cert::CONTENT_SCHEMA.into(),
        code: cert::certificate_code(&province.code, year, number),
        registry_no: cert::registry_no(&prefix, number),
        province_code: province.code.clone(),
        serial,
        issued_on,
        authority: cert::authority_from(&template, &province.name, &province.division_type),
        place: cert::place(&province.name),
        holders: draft.holders,
        parcel: draft.parcel,
        origin: draft.origin,
        notes: draft.notes,
        replaces: draft.replaces,
        endorsements: Vec::new(),
    };
    let content = super::restrictions::enter_restrictions_in_force(conn, content)?;
    let key = office_key(conn, settings, &province.code)?;
    let sealed = cert::seal(&content, &key, base_url);
    let id = db::insert(
        conn,
        &db::NewCertificate {
            id: draft.reserved_id,
            serial: &content.serial,
            registry_no: &content.registry_no,
            registry_year: year,
            province_code: &province.code,
            rrr_id: draft.rrr_id,
            issued_on,
            issuing_authority: &content.authority,
            dossier_id: draft.dossier_id,
            content: &serde_json::to_value(&content).map_err(anyhow::Error::from)?,
            key_id: &sealed.key_id,
            signature: &sealed.signature,
            qr_payload: &sealed.qr_payload,
        },
    )
    .map_err(|e| conflict_or_db(e, "inserting the certificate"))?;
    Ok((id, content))
}

/// Records a new use right on the parcel's current version with its holders, registered by
/// `dossier` and continuing `carried_from` (a right pending certificate); returns its id.
fn new_right(
    conn: &mut PgConnection,
    parcel_id: i64,
    holders: &[Holder],
    source_document: &str,
    dossier: Option<i64>,
    carried_from: Option<i64>,
) -> Result<i64, Error> {
    let held: Vec<Held> = holders.iter().map(|h| Held { party_id: None, holder: h.clone() }).collect();
    new_right_of(conn, parcel_id, &held, source_document, dossier, carried_from)
}

/// A holder of a right and the party recorded for them: a holder a change leaves as they were
/// keeps their party (and its spouse or members); a new or changed one gets a new party, never
/// an update of the old.
#[derive(Debug, Clone)]
pub(crate) struct Held {
    pub party_id: Option<i64>,
    pub holder: Holder,
}

/// Records a use right on the parcel's current version with these holders in this order.
pub(crate) fn new_right_of(
    conn: &mut PgConnection,
    parcel_id: i64,
    holders: &[Held],
    source_document: &str,
    dossier: Option<i64>,
    carried_from: Option<i64>,
) -> Result<i64, Error> {
    let plain: Vec<Holder> = holders.iter().map(|h| h.holder.clone()).collect();
    let form = UseForm::for_holders(&plain);
    let rrr = rights::insert_use_right_from(conn, parcel_id, form.as_str(), source_document, dossier, carried_from)
        .map_err(|e| conflict_or_db(e, "recording the use right"))?;
    for (i, Held { party_id, holder: h }) in holders.iter().enumerate() {
        let party = match party_id {
            Some(p) => *p,
            None => record_party(conn, h)?,
        };
        rights::insert_share_at(conn, rrr, party, h.share, Some(i as i32)).context_db("recording a share")?;
    }
    Ok(rrr)
}

/// A party for a holder, with its spouse or household members.
fn record_party(conn: &mut PgConnection, h: &Holder) -> Result<i64, Error> {
    let party = rights::insert_holder(
        conn,
        h.kind.as_str(),
        &h.name,
        h.id_number.as_deref(),
        h.address.as_deref(),
        h.title.map(|t| t.as_str()),
    )
    .context_db("recording a holder")?;
    let members = h.spouse.iter().map(|m| ("spouse", m)).chain(h.members.iter().map(|m| ("member", m)));
    for (seq, (role, m)) in members.enumerate() {
        rights::insert_member(
            conn,
            party,
            &rights::NewMember {
                seq: seq as i32 + 1,
                role,
                title: m.title.map(|t| t.as_str()),
                full_name: &m.name,
                id_number: m.id_number.as_deref(),
                relation: m.relation.as_deref(),
            },
        )
        .context_db("recording a member of the holder")?;
    }
    Ok(party)
}

pub(crate) fn province_row(conn: &mut PgConnection, code: &str) -> Result<db::ProvinceRow, Error> {
    db::province(conn, code)
        .context_db("finding the province")?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("province {code} is not in force")))
}

/// The staff view of a certificate (content with personal data, QR payload, links).
pub(crate) fn staff_view(row: &db::CertificateRow) -> CertificateView {
    CertificateView {
        serial: row.serial.clone(),
        status: row.status.as_str().to_string(),
        registry_no: row.registry_no.clone(),
        issued_on: row.issued_on,
        authority: row.issuing_authority.clone(),
        province_code: row.province_code.clone(),
        dossier_id: row.dossier_id,
        replaced_by: row.replaced_by_serial.clone(),
        revoked_at: row.revoked_at,
        revoked_reason: row.revoked_reason.clone(),
        content: row.content.clone(),
        key_id: row.key_id.clone(),
        signature: row.signature.clone(),
        qr_payload: row.qr_payload.clone(),
        links: CertificateLinks {
            verify: format!("/certificates/verify/{}", row.serial),
            print: format!("/certificates/{}/print", row.serial),
        },
    }
}

pub(crate) fn reload(conn: &mut PgConnection, id: i64) -> Result<db::CertificateRow, Error> {
    db::by_id(conn, id)
        .context_db("reading the certificate back")?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("certificate {id} vanished inside its own transaction")))
}

pub(crate) fn audit_certificate(
    conn: &mut PgConnection,
    actor: &Actor,
    action: &str,
    serial: &str,
    before: Option<Value>,
    after: Value,
) -> Result<(), Error> {
    audit::append(
        conn,
        audit::AuditEntry {
            actor_id: Some(actor.user_id),
            actor: &actor.username,
            action,
            entity: "certificate",
            entity_id: serial,
            before,
            after: Some(after),
        },
    )
    .context_db("writing the audit log")
}

pub(crate) fn brief(row: &db::CertificateRow) -> Value {
    json!({"serial": row.serial, "status": row.status.as_str(), "replaced_by": row.replaced_by_serial, "revoked_reason": row.revoked_reason})
}

// ---------------------------------------------------------------------------------------------
// Issuance

/// `POST /dossiers/{id}/certificate` (approver of the dossier's province), for an approved
/// dossier. What it does is the procedure's outcome in the catalogue: a first registration
/// creates the parcel's first use right; a transfer ends the current right and supersedes its
/// certificate; a split/merge (tách/hợp thửa) issues a certificate for every parcel of the
/// dossier whose right is pending one. Other outcomes are recorded by other endpoints (409 says
/// which). Each parcel needs a geometry check kept with the dossier, not failed and newer than
/// the parcel's last change and its restrictions' (except the parts a split or merge made under
/// this very dossier: it validated them), and no restriction in force that blocks the procedure
/// (R7.2, the blocking table).
pub fn issue(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    dossier_id: i64,
    req: &IssueRequest,
    now: DateTime<Utc>,
) -> Result<IssuedView, Error> {
    let holders = req.holders.as_deref().map(parse_holders).transpose()?;
    let terms = parse_terms(req.land_uses.as_deref())?;
    let origin = optional_text("/origin", req.origin.as_deref())?;
    let notes = optional_text("/notes", req.notes.as_deref())?;
    conn.transaction(|conn| {
        // The lock serialises issuances for one dossier; the checks below then see the
        // outcome of any that committed first.
        let dossier = db::dossier_for_issue(conn, dossier_id).context_db("loading the dossier")?.ok_or_else(|| Error::NotFound(format!("dossier {dossier_id}")))?;
        let outcome = store::restrictions::procedure_outcome(conn, &dossier.procedure_code)
            .context_db("loading the dossier's procedure")?
            .ok_or_else(|| anyhow::anyhow!("procedure {} of dossier {} has no outcome in the catalogue", dossier.procedure_code, dossier.receipt_no))?;
        // Jurisdiction follows the land: the dossier's province and each of its parcels'.
        let action = if outcome == ProcedureOutcome::Transfer { Action::CertificateTransfer } else { Action::CertificateIssue };
        let land = authz::authorize_dossier(conn, actor, action, dossier.id, &dossier.province_code)?;
        if let Some(foreign) = land.iter().find(|l| l.province_code != dossier.province_code) {
            return Err(Error::invalid(
                "/parcels",
                format!(
                    "parcel {} lies in province {}, not in the dossier's province {}: a dossier holds only its own province's land",
                    foreign.national_id, foreign.province_code, dossier.province_code
                ),
            ));
        }
        if let Some(instead) = recorded_elsewhere(outcome) {
            return Err(conflict(format!(
                "dossier {} is of procedure {} ({}), which issues no certificate here: {instead}",
                dossier.receipt_no, dossier.procedure_code, outcome.as_text()
            )));
        }
        if dossier.state != State::Approved {
            return Err(conflict(format!("dossier {} is {}, not approved: a certificate is issued only for an approved dossier", dossier.receipt_no, dossier.state)));
        }
        if let Some(serial) = db::serial_of_dossier(conn, dossier.id).context_db("looking for an earlier certificate")? {
            return Err(conflict(format!("dossier {} already has certificate {serial}", dossier.receipt_no)));
        }
        let province = province_row(conn, &dossier.province_code)?;
        let stated = Stated { holders, terms, origin, notes };
        if outcome == ProcedureOutcome::SplitMerge {
            return issue_parts(conn, settings, actor, &dossier, &province, stated, now).map(IssuedView::Several);
        }
        issue_one(conn, settings, actor, &dossier, outcome, &province, stated, now).map(|v| IssuedView::One(Box::new(v)))
    })
}

/// Where the result of a procedure that issues nothing through a dossier's certificate is
/// recorded; `None` for the outcomes that do issue.
fn recorded_elsewhere(outcome: ProcedureOutcome) -> Option<String> {
    Some(match outcome {
        ProcedureOutcome::FirstRegistration | ProcedureOutcome::Transfer | ProcedureOutcome::SplitMerge => return None,
        ProcedureOutcome::Reissue => {
            "cấp lại / cấp đổi re-issues the valid certificate over the same right with POST /certificates/{serial}/replace".into()
        }
        ProcedureOutcome::Correction => "đính chính corrects the record (PUT /parcels/{id}/geometry for the boundary) and \
            re-issues the certificate with POST /certificates/{serial}/replace (reason exchange)"
            .into(),
        ProcedureOutcome::Change => "a change after issuance is recorded with POST /dossiers/{id}/changes, which endorses \
            the valid certificate or issues a new one as the procedure's change rules say"
            .into(),
        ProcedureOutcome::Information => "providing information changes nothing in the register".into(),
        ProcedureOutcome::RegisterRestriction(kind) => format!("a {kind} is recorded with POST /dossiers/{{id}}/restrictions"),
        ProcedureOutcome::ReleaseRestriction(kind) => format!("a {kind} is ended with POST /restrictions/{{id}}/release"),
    })
}

/// What the issuance request states (parsed), for one certificate or each of a split's.
struct Stated {
    holders: Option<Vec<Holder>>,
    terms: Terms,
    origin: Option<String>,
    notes: Option<String>,
}

/// The dossier's newest check of the parcel: it must exist, not have failed, and be newer than
/// the parcel's current version and than the last change of its restrictions.
fn require_fresh_check(conn: &mut PgConnection, dossier: &db::DossierRow, parcel: &ParcelRow) -> Result<(), Error> {
    // The check must be about this parcel: a pass for another parcel unlocks nothing.
    let check = store::jurisdiction::latest_check_of_parcel(conn, dossier.id, parcel.parcel_id)
        .context_db("loading the geometry check")?
        .ok_or_else(|| {
            conflict(format!(
                "dossier {} has no check of parcel {}; run POST /dossiers/{}/checks for it first",
                dossier.receipt_no, parcel.national_id, dossier.id
            ))
        })?;
    if check.outcome == "fail" {
        // Name the failed rules, so a blocked transfer reads "R7.2 …" without opening the report.
        let failed: Vec<String> = check.report["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["outcome"] == "fail")
            .map(|r| format!("{} {}", r["rule"].as_str().unwrap_or("?"), r["message"].as_str().unwrap_or_default()))
            .collect();
        return Err(conflict(format!(
            "the latest check of parcel {} in dossier {} failed ({}): {}; fix the request and check again",
            parcel.national_id,
            dossier.receipt_no,
            check.checked_at,
            failed.join("; ")
        )));
    }
    if check.checked_at <= parcel.valid_from {
        return Err(conflict(format!(
            "the latest check of parcel {} ({}) is older than the parcel's current version {} ({}); check again",
            parcel.national_id, check.checked_at, parcel.version, parcel.valid_from
        )));
    }
    let restricted = store::restrictions::last_change(conn, parcel.parcel_id).context_db("loading the restrictions")?;
    if let Some(changed) = restricted.filter(|t| check.checked_at <= *t) {
        return Err(conflict(format!(
            "the latest check of parcel {} ({}) is older than the last change of its restrictions ({changed}); check again",
            parcel.national_id, check.checked_at
        )));
    }
    Ok(())
}

/// A first registration or a transfer: the dossier's one parcel, one certificate.
#[allow(clippy::too_many_arguments)]
fn issue_one(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    dossier: &db::DossierRow,
    outcome: ProcedureOutcome,
    province: &db::ProvinceRow,
    stated: Stated,
    now: DateTime<Utc>,
) -> Result<CertificateView, Error> {
    let Stated { holders, terms, origin, notes } = stated;
    let holders = holders.ok_or_else(|| {
        Error::invalid("/holders", "name the holders of the right (only a split or merge dossier may omit them)")
    })?;
    let parcel_id = match db::dossier_parcels(conn, dossier.id).context_db("loading the dossier's parcels")?.as_slice()
    {
        [one] => *one,
        [] => return Err(conflict(format!("dossier {} names no parcel", dossier.receipt_no))),
        many => {
            return Err(conflict(format!(
                "dossier {} names {} parcels; a certificate covers one",
                dossier.receipt_no,
                many.len()
            )))
        }
    };
    let parcel = db::current_version_locked(conn, parcel_id)
        .context_db("loading the parcel")?
        .ok_or_else(|| conflict(format!("the dossier's parcel (id {parcel_id}) no longer exists")))?;
    require_fresh_check(conn, dossier, &parcel)?;
    // R7.2 at issuance: the blocking table, on the restrictions in force now.
    super::restrictions::ensure_unblocked(conn, parcel_id, &dossier.procedure_code, Some(dossier.id))?;
    let source = format!("hồ sơ {} (thủ tục {})", dossier.receipt_no, dossier.procedure_code);
    let current = db::current_use_right(conn, parcel_id).context_db("loading the current use right")?;
    let (previous, replaces) = if outcome == ProcedureOutcome::Transfer {
        let right = current
            .ok_or_else(|| conflict(format!("parcel {} has no current use right to transfer", parcel.national_id)))?;
        let old = db::valid_of_right_for_update(conn, right.id).context_db("loading the current certificate")?;
        db::close_right(conn, right.id, &format!("chuyển quyền theo hồ sơ {}", dossier.receipt_no), Some(dossier.id))
            .context_db("ending the current use right")?;
        let replaces = old.as_ref().map(|o| Predecessor { serial: o.serial.clone(), reason: "transfer".into() });
        (old, replaces)
    } else {
        if let Some(right) = current {
            let serial = db::valid_of_right_for_update(conn, right.id)
                .context_db("loading the current certificate")?
                .map(|c| c.serial);
            let how = match (&serial, right.registered_dossier_id) {
                (Some(s), _) => {
                    format!(" with certificate {s}; use a transfer procedure (e.g. 1.013831), or revoke {s} first")
                }
                (None, Some(d)) => format!(" pending its certificate: issue it through dossier id {d}, which made it"),
                (None, None) => {
                    " recorded without a certificate: re-issue over it instead of registering it again".into()
                }
            };
            return Err(conflict(format!("parcel {} already has a current use right{how}", parcel.national_id)));
        }
        (None, None)
    };
    let rrr_id = new_right(conn, parcel_id, &holders, &source, Some(dossier.id), None)?;
    let block = parcel_block(conn, &parcel, UseForm::for_holders(&holders), None, &terms)?;
    let draft = Draft {
        procedure: dossier.procedure_code.clone(),
        rrr_id,
        holders,
        parcel: block,
        origin,
        notes,
        replaces,
        dossier_id: Some(dossier.id),
        reserved_id: None,
    };
    let (id, content) = write_certificate(conn, settings, &settings.public_base_url, now, province, draft)?;
    let mut before = None;
    if let Some(old) = &previous {
        db::mark_replaced(conn, old.id, id).context_db("marking the old certificate replaced")?;
        before = Some(brief(old));
    }
    let row = reload(conn, id)?;
    let action =
        if outcome == ProcedureOutcome::Transfer { Action::CertificateTransfer } else { Action::CertificateIssue };
    audit_certificate(
        conn,
        actor,
        action.as_str(),
        &content.serial,
        before,
        json!({"dossier": dossier.receipt_no, "certificate": brief(&row), "content": row.content}),
    )?;
    Ok(staff_view(&row))
}

/// Tách/hợp thửa: one certificate for every current parcel of the dossier whose right is pending
/// one (the parts a split or merge made under it), in this one transaction. The holders are
/// those the right carried from the old parcel unless the request names others; the origin is
/// the old certificate's unless the request states one.
fn issue_parts(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    dossier: &db::DossierRow,
    province: &db::ProvinceRow,
    stated: Stated,
    now: DateTime<Utc>,
) -> Result<CertificateList, Error> {
    let mut parts = Vec::new();
    for parcel_id in db::dossier_parcels(conn, dossier.id).context_db("loading the dossier's parcels")? {
        // The parcel split or merged away is retired; a parcel with a valid certificate is done.
        let Some(parcel) = db::current_version_locked(conn, parcel_id).context_db("loading the parcel")? else {
            continue;
        };
        let Some(right) = db::current_use_right(conn, parcel_id).context_db("loading the use right")? else { continue };
        if db::valid_of_right_for_update(conn, right.id).context_db("loading the certificate")?.is_some() {
            continue;
        }
        parts.push((parcel, right));
    }
    if parts.is_empty() {
        return Err(conflict(format!(
            "dossier {} has no parcel whose right is pending a certificate: split the parcel (POST /parcels/{{id}}/split) \
             or merge the parcels (POST /parcels/merge) with \"dossier\": {} first",
            dossier.receipt_no, dossier.id
        )));
    }
    for (i, (code, _)) in stated.terms.iter().enumerate() {
        if !parts.iter().any(|(p, _)| land_use_codes(p).contains(code)) {
            return Err(Error::invalid(
                format!("/land_uses/{i}/code"),
                format!("no parcel of dossier {} has land use {code}", dossier.receipt_no),
            ));
        }
    }
    let source = format!("hồ sơ {} (thủ tục {})", dossier.receipt_no, dossier.procedure_code);
    let mut issued = Vec::new();
    for (parcel, right) in parts {
        // A split or merge made under this dossier validated its parts (exact partition, minimum
        // areas, placement); a parcel it did not make, or changed since, needs a fresh check.
        if right.registered_dossier_id != Some(dossier.id) || right.parcel_version_id != parcel.version_id {
            require_fresh_check(conn, dossier, &parcel)?;
        }
        super::restrictions::ensure_unblocked(conn, parcel.parcel_id, &dossier.procedure_code, Some(dossier.id))?;
        let (rrr_id, holders) = match &stated.holders {
            None => (right.id, holders_of_right(conn, right.id)?),
            // Named holders take the pending right over: it ends, theirs continues it.
            Some(named) => {
                db::close_right(
                    conn,
                    right.id,
                    &format!("người sử dụng đất theo hồ sơ {}", dossier.receipt_no),
                    Some(dossier.id),
                )
                .context_db("ending the pending use right")?;
                (new_right(conn, parcel.parcel_id, named, &source, Some(dossier.id), Some(right.id))?, named.clone())
            }
        };
        let origin = match &stated.origin {
            Some(o) => Some(o.clone()),
            None => carried_origin(conn, right.carried_from_id)?,
        };
        let codes = land_use_codes(&parcel);
        let terms: Terms = stated.terms.iter().filter(|(c, _)| codes.contains(c)).cloned().collect();
        let block = parcel_block(conn, &parcel, UseForm::for_holders(&holders), None, &terms)?;
        let draft = Draft {
            procedure: dossier.procedure_code.clone(),
            rrr_id,
            holders,
            parcel: block,
            origin,
            notes: stated.notes.clone(),
            replaces: None,
            dossier_id: Some(dossier.id),
            reserved_id: None,
        };
        let (id, content) = write_certificate(conn, settings, &settings.public_base_url, now, province, draft)?;
        let row = reload(conn, id)?;
        audit_certificate(
            conn,
            actor,
            Action::CertificateIssue.as_str(),
            &content.serial,
            None,
            json!({"dossier": dossier.receipt_no, "parcel": parcel.national_id, "certificate": brief(&row), "content": row.content}),
        )?;
        issued.push(staff_view(&row));
    }
    Ok(CertificateList { certificates: issued })
}

/// The land-use codes of a parcel version.
fn land_use_codes(parcel: &ParcelRow) -> Vec<String> {
    serde_json::from_str::<Vec<RecordedLandUse>>(&parcel.land_uses)
        .unwrap_or_default()
        .into_iter()
        .map(|l| l.code)
        .collect()
}

/// The holders of a right as a certificate names them.
fn holders_of_right(conn: &mut PgConnection, rrr_id: i64) -> Result<Vec<Holder>, Error> {
    Ok(held_of_right(conn, rrr_id)?.into_iter().map(|h| h.holder).collect())
}

/// The holders of a right with their parties, in the certificate's order.
pub(crate) fn held_of_right(conn: &mut PgConnection, rrr_id: i64) -> Result<Vec<Held>, Error> {
    #[derive(Deserialize)]
    struct StoredMember {
        role: String,
        title: Option<String>,
        name: String,
        id_number: Option<String>,
        relation: Option<String>,
    }
    let rows = db::right_holders(conn, rrr_id).context_db("loading the holders")?;
    let mut out = Vec::with_capacity(rows.len());
    for h in rows {
        let members: Vec<StoredMember> =
            serde_json::from_str(&h.members).map_err(|e| anyhow::anyhow!("members of party {}: {e}", h.party_id))?;
        let member = |m: &StoredMember| cert::Member {
            title: m.title.as_deref().and_then(cert::Title::parse),
            name: m.name.clone(),
            id_number: m.id_number.clone(),
            relation: m.relation.clone(),
        };
        out.push(Held {
            party_id: Some(h.party_id),
            holder: Holder {
                kind: cert::HolderKind::parse(&h.kind).unwrap_or(cert::HolderKind::Person),
                name: h.full_name,
                id_number: h.id_number,
                share: h.share,
                title: h.title.as_deref().and_then(cert::Title::parse),
                address: h.address,
                spouse: members.iter().find(|m| m.role == "spouse").map(member),
                members: members.iter().filter(|m| m.role == "member").map(member).collect(),
            },
        });
    }
    Ok(out)
}

/// The origin (nguồn gốc sử dụng) on the last certificate of the right a part's right continues,
/// through earlier splits that issued nothing.
fn carried_origin(conn: &mut PgConnection, mut from: Option<i64>) -> Result<Option<String>, Error> {
    // Bounded: a chain of splits without certificates is short.
    for _ in 0..32 {
        let Some(rrr_id) = from else { return Ok(None) };
        if let Some(old) = db::latest_of_right(conn, rrr_id).context_db("loading the earlier certificate")? {
            return Ok(old.content.as_ref().and_then(|c| c.get("origin")).and_then(Value::as_str).map(str::to_string));
        }
        from = rights::carried_from(conn, rrr_id).context_db("loading the earlier right")?;
    }
    Ok(None)
}

// ---------------------------------------------------------------------------------------------
// Revocation, replacement, transfer

/// Loads a certificate for a change: locked, in the actor's province, and valid.
fn valid_for_change(
    conn: &mut PgConnection,
    actor: &Actor,
    action: Action,
    serial: &str,
) -> Result<db::CertificateRow, Error> {
    let row = db::by_serial_for_update(conn, serial)
        .context_db("loading the certificate")?
        .ok_or_else(|| not_found(serial))?;
    authz::authorize_certificate(conn, actor, action, &row.province_code, row.parcel_id)?;
    match row.status {
        cert::Status::Valid => Ok(row),
        cert::Status::Revoked => Err(conflict(format!(
            "certificate {serial} was revoked{}",
            row.revoked_at.map(|t| format!(" at {t}")).unwrap_or_default()
        ))),
        cert::Status::Replaced => Err(conflict(format!(
            "certificate {serial} was replaced by {}",
            row.replaced_by_serial.as_deref().unwrap_or("another certificate")
        ))),
    }
}

/// `POST /certificates/{serial}/revoke` (approver): thu hồi. The revocation decision ends the
/// right the certificate proves (recorded as the right's `ended_reason`); the parcel and its
/// restrictions stay, so the land can be registered again through a first-registration dossier.
pub fn revoke(
    conn: &mut PgConnection,
    actor: &Actor,
    serial: &str,
    req: &RevokeRequest,
) -> Result<CertificateView, Error> {
    check_serial(serial)?;
    let reason = required_text("/reason", &req.reason)?;
    let decision = optional_text("/decision", req.decision.as_deref())?;
    let recorded = match &decision {
        Some(d) => format!("{reason} (quyết định thu hồi {d})"),
        None => reason,
    };
    conn.transaction(|conn| {
        let row = valid_for_change(conn, actor, Action::CertificateRevoke, serial)?;
        db::revoke(conn, row.id, &recorded)
            .context_db("revoking the certificate")?
            .ok_or_else(|| conflict(format!("certificate {serial} is no longer valid")))?;
        // A revoked certificate proves no right: left current, the right would block every
        // later registration of the parcel.
        rights::end_right(conn, row.rrr_id, &format!("thu hồi Giấy chứng nhận {serial}: {recorded}"))
            .context_db("ending the right")?;
        let after = reload(conn, row.id)?;
        let mut entry = brief(&after);
        entry["decision"] = json!(decision);
        entry["right_ended"] = json!(row.rrr_id);
        audit_certificate(conn, actor, "certificate.revoke", serial, Some(brief(&row)), entry)?;
        Ok(staff_view(&after))
    })
}

/// The valid certificate over `rrr_id`, locked, that ending the right (split, merge) will
/// revoke: revoking it takes [`Action::CertificateRevoke`] on its parcel's province.
pub(crate) fn to_revoke(
    conn: &mut PgConnection,
    actor: &Actor,
    rrr_id: i64,
) -> Result<Option<db::CertificateRow>, Error> {
    let Some(row) = db::valid_of_right_for_update(conn, rrr_id).context_db("loading the certificate to revoke")? else {
        return Ok(None);
    };
    authz::authorize_certificate(conn, actor, Action::CertificateRevoke, &row.province_code, row.parcel_id).map_err(
        |e| match e {
            Error::Forbidden(why) => Error::Forbidden(format!(
                "this change ends the right of certificate {} and so revokes it; {why}",
                row.serial
            )),
            e => e,
        },
    )?;
    Ok(Some(row))
}

/// The `certificate.revoke` entry for a certificate revoked by ending its right (`cause`).
pub(crate) fn audit_revoked(
    conn: &mut PgConnection,
    actor: &Actor,
    before: &db::CertificateRow,
    cause: &str,
) -> Result<(), Error> {
    let after = reload(conn, before.id)?;
    let mut entry = brief(&after);
    entry["cause"] = json!(cause);
    audit_certificate(conn, actor, "certificate.revoke", &before.serial, Some(brief(before)), entry)
}

/// The content of a certificate: as stored, or rebuilt from the records for certificates
/// recorded without one (imports, sample data).
pub(crate) fn recorded_content(conn: &mut PgConnection, row: &db::CertificateRow) -> Result<Content, Error> {
    if let Some(value) = &row.content {
        return serde_json::from_value(value.clone())
            .map_err(|e| Error::Internal(anyhow::anyhow!("content of certificate {}: {e}", row.serial)));
    }
    let holders = holders_of_right(conn, row.rrr_id)?;
    let version_id = db::right_version(conn, row.rrr_id).context_db("loading the right")?;
    let parcel = db::version_by_id(conn, version_id)
        .context_db("loading the parcel version")?
        .ok_or_else(|| anyhow::anyhow!("parcel version {version_id} of certificate {} is missing", row.serial))?;
    let block = parcel_block(conn, &parcel, UseForm::for_holders(&holders), None, &Vec::new())?;
    let province = province_row(conn, &row.province_code)?;
    let number: i32 = row.registry_no.rsplit(' ').next().and_then(|n| n.parse().ok()).unwrap_or(0);
    Ok(Content {
        schema: cert::CONTENT_SCHEMA.into(),
        serial: row.serial.clone(),
        code: cert::certificate_code(&row.province_code, row.registry_year, number),
        registry_no: row.registry_no.clone(),
        province_code: row.province_code.clone(),
        issued_on: row.issued_on,
        authority: row.issuing_authority.clone(),
        place: cert::place(&province.name),
        holders,
        parcel: block,
        origin: None,
        notes: None,
        replaces: None,
        endorsements: Vec::new(),
    })
}

/// Enters a change on a valid certificate (xác nhận thay đổi: a mortgage registered or deleted,
/// …) and seals it again with the office's key: new content, signature and QR payload, so a
/// paper printed before scans as outdated (`content_current: false`). Locks the certificate
/// row; runs in the caller's transaction (as a savepoint) or its own. The caller authorises
/// the change and writes the audit entry of the action that caused it.
pub(crate) fn endorse(
    conn: &mut PgConnection,
    settings: &Settings,
    certificate_id: i64,
    text: String,
    legal_basis: String,
    dossier: Option<String>,
    now: DateTime<Utc>,
) -> Result<cert::Endorsement, Error> {
    conn.transaction(|conn| {
        let row = db::by_id_for_update(conn, certificate_id)
            .context_db("loading the certificate")?
            .ok_or_else(|| Error::NotFound(format!("certificate id {certificate_id}")))?;
        if row.status != cert::Status::Valid {
            return Err(conflict(format!(
                "certificate {} is {}: changes are entered only on a valid certificate",
                row.serial,
                row.status.as_str()
            )));
        }
        let mut content = recorded_content(conn, &row)?;
        let endorsement = content
            .endorse(cert::vietnam_date(now), &text, &legal_basis, dossier.as_deref())
            .map_err(|e| Error::invalid(e.pointer, e.message))?
            .clone();
        let key = office_key(conn, settings, &row.province_code)?;
        let sealed = cert::seal(&content, &key, &settings.public_base_url);
        let stored = db::reseal(
            conn,
            row.id,
            &serde_json::to_value(&content).map_err(anyhow::Error::from)?,
            &sealed.key_id,
            &sealed.signature,
            &sealed.qr_payload,
        )
        .context_db("storing the endorsed certificate")?;
        if stored != 1 {
            return Err(conflict(format!("certificate {} is no longer valid", row.serial)));
        }
        // A certificate recorded without content (an import) is sealed from now on: its serial
        // must never be issued again, as `seal_recorded` ensures for the samples.
        if row.content.is_none() && cert::Serial::parse(&row.serial).is_ok() {
            db::record_issued_blank(conn, &row.serial, &row.province_code).context_db("recording the blank")?;
        }
        Ok(endorsement)
    })
}

/// Cấp lại Giấy chứng nhận do bị mất; cấp đổi Giấy chứng nhận (DOMAIN §3).
const REISSUE_LOST: &str = "1.012786";
const REISSUE_EXCHANGE: &str = "1.012783";

/// `POST /certificates/{serial}/replace` (approver): cấp lại / cấp đổi. A new serial from
/// blank stock over the same right; the old certificate becomes replaced.
pub fn replace(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    serial: &str,
    req: &ReplaceRequest,
    now: DateTime<Utc>,
) -> Result<CertificateView, Error> {
    check_serial(serial)?;
    let reason = cert::ReplaceReason::parse(&req.reason)
        .ok_or_else(|| Error::invalid("/reason", "one of lost, damaged, exchange"))?;
    let notes = optional_text("/notes", req.notes.as_deref())?;
    conn.transaction(|conn| {
        let old = valid_for_change(conn, actor, Action::CertificateReplace, serial)?;
        // Cấp lại (lost) and cấp đổi are procedures of their own in the blocking table: a
        // seizure stops both, a mortgage stops cấp lại.
        let procedure = if reason == cert::ReplaceReason::Lost { REISSUE_LOST } else { REISSUE_EXCHANGE };
        super::restrictions::ensure_unblocked(conn, old.parcel_id, procedure, None)?;
        let previous = recorded_content(conn, &old)?;
        let province = province_row(conn, &old.province_code)?;
        // An exchange (cấp đổi) shows the parcel as it is now, e.g. after a re-survey;
        // a lost or damaged certificate is re-issued as it was.
        let parcel = if reason == cert::ReplaceReason::Exchange {
            let current = db::current_version_locked(conn, old.parcel_id)
                .context_db("loading the parcel")?
                .ok_or_else(|| conflict(format!("the parcel of certificate {serial} no longer exists")))?;
            parcel_block(conn, &current, previous.parcel.use_form, Some(&previous.parcel.land_uses), &Vec::new())?
        } else {
            previous.parcel.clone()
        };
        // The old row must stop being valid before the new one over the same right can be
        // valid, and must name its successor when it does: reserve the successor's id first.
        let new_id = db::reserve_id_for_successor(conn).context_db("reserving the certificate id")?;
        db::mark_replaced(conn, old.id, new_id).context_db("marking the old certificate replaced")?;
        let draft = Draft {
            procedure: procedure.to_string(),
            rrr_id: old.rrr_id,
            holders: previous.holders.clone(),
            parcel,
            origin: previous.origin.clone(),
            notes: notes.or(previous.notes.clone()),
            replaces: Some(Predecessor { serial: old.serial.clone(), reason: reason.as_str().into() }),
            dossier_id: None,
            reserved_id: Some(new_id),
        };
        let (id, content) = write_certificate(conn, settings, &settings.public_base_url, now, &province, draft)?;
        let row = reload(conn, id)?;
        audit_certificate(
            conn,
            actor,
            "certificate.replace",
            &content.serial,
            Some(brief(&old)),
            json!({"reason": reason.as_str(), "certificate": brief(&row), "content": row.content}),
        )?;
        Ok(staff_view(&row))
    })
}

/// `POST /certificates/{serial}/transfer`: refused. A transfer (chuyển nhượng / thừa kế / tặng
/// cho) changes who holds the land, so it goes through a dossier of a transfer procedure
/// (`POST /dossiers` naming the parcel, appraisal, approval, a check of that parcel) and is
/// issued with `POST /dossiers/{id}/certificate`, where the approver's jurisdiction over the
/// land, the parcel's check and the legal rules (R7) are enforced. The route stays so that
/// clients get this explanation instead of a 404.
pub fn transfer(
    conn: &mut PgConnection,
    actor: &Actor,
    serial: &str,
    req: &TransferRequest,
) -> Result<std::convert::Infallible, Error> {
    check_serial(serial)?;
    cert::TransferKind::parse(&req.kind)
        .ok_or_else(|| Error::invalid("/kind", "one of transfer, inheritance, gift"))?;
    let row = db::by_serial(conn, serial).context_db("loading the certificate")?.ok_or_else(|| not_found(serial))?;
    authz::authorize_certificate(conn, actor, Action::CertificateTransfer, &row.province_code, row.parcel_id)?;
    Err(conflict(format!(
        "certificate {serial} is not transferred on its own: receive a dossier of a transfer procedure (e.g. 1.013831) \
         naming parcel {}, check that parcel, approve the dossier, then issue with POST /dossiers/{{id}}/certificate; \
         the new certificate supersedes {serial}",
        recorded_content(conn, &row)?.parcel.national_id
    )))
}

// ---------------------------------------------------------------------------------------------
// Reading

/// `GET /certificates/verify/{serial}` (public): status, issue date, parcel id and masked
/// holders; no id numbers, no reasons, no endorsements (they may name people). With the hash of
/// a scanned QR code (`h`), also whether that paper shows the current content.
pub fn verify(conn: &mut PgConnection, serial: &str, scanned: &ScannedReference) -> Result<VerificationView, Error> {
    check_serial(serial)?;
    let scanned_hash = match scanned.h.as_deref() {
        Some(h) => Some(cert::qr::parse_hash(h).map(|_| h).map_err(|m| Error::bad_parameter("h", m))?),
        None => None,
    };
    if let Some(k) = scanned.k.as_deref().filter(|k| !cert::qr::is_key_id(k)) {
        return Err(Error::bad_parameter("k", format!("'{k}' is not a key id such as 92-1a2b3c4d")));
    }
    if let Some(s) = scanned.s.as_deref() {
        cert::qr::parse_signature(s).map_err(|m| Error::bad_parameter("s", m))?;
    }
    let row = db::by_serial(conn, serial).context_db("loading the certificate")?.ok_or_else(|| not_found(serial))?;
    let content = recorded_content(conn, &row)?;
    // The hash of the content as stored: exactly the bytes that were sealed.
    let content_hash = row.content.as_ref().map(|v| cert::content_hash(cert::canonical_json(v).as_bytes()));
    let content_current = scanned_hash.map(|h| content_hash.as_deref() == Some(h));
    // A valid certificate proves its right as it stands now: after an endorsed change (a share
    // sold, an inheritance) the register's holders, not page 1's, are the ones in force.
    let holders = if row.status == cert::Status::Valid && row.right_valid_to.is_none() {
        holders_of_right(conn, row.rrr_id)?
    } else {
        content.holders.clone()
    };
    let changes = rights::changes_of_certificate(conn, row.id)
        .context_db("loading the changes")?
        .into_iter()
        .map(|c| PublicChange {
            kind: c.kind,
            result: c.result,
            summary: c.summary,
            recorded_on: cert::vietnam_date(c.recorded_at),
            dossier: c.receipt_no,
            late: c.late,
        })
        .collect();
    Ok(VerificationView {
        valid: row.status == cert::Status::Valid,
        status: row.status.as_str().to_string(),
        serial: row.serial,
        issued_on: row.issued_on,
        authority: row.issuing_authority,
        national_parcel_id: content.parcel.national_id,
        holders: holders.iter().map(public_holder).collect(),
        replaced_by: row.replaced_by_serial,
        replaced_on: row.replaced_on,
        revoked_on: row.revoked_at.map(cert::vietnam_date),
        key_id: row.key_id,
        content_hash,
        content_current,
        changes,
    })
}

/// A holder as the public sees them: names of people masked, no ids, no addresses.
fn public_holder(h: &Holder) -> PublicHolder {
    let masked = |m: &cert::Member| domain::privacy::mask_person_name(&m.name);
    PublicHolder {
        kind: h.kind.as_str().to_string(),
        name: cert::public_name(h.kind, &h.name),
        share: h.share,
        spouse: h.spouse.as_ref().map(masked),
        members: h.members.iter().map(masked).collect(),
    }
}

/// How a QR payload is checked offline, as `GET /certificates/keys` explains it.
const KEYS_CANONICAL_FORM: &str = "The QR code holds {base}/certificates/verify/{serial}?h={hash}&k={key_id}&s={signature} \
(the serial percent-encoded). The certificate content is canonical JSON: object keys sorted by code point, no whitespace, \
strings escaped only where JSON requires (\\\", \\\\, control characters), other text as UTF-8, numbers as printed by \
serde_json (integers without a point, others in shortest round-trip form such as 600.0 or 0.5); the endorsements key is left \
out while there are none. digest = SHA-256(canonical content); h = base64url without padding of its first 16 bytes. \
s = base64url without padding of the Ed25519 signature, by the key listed here under key_id k, over the UTF-8 text \
'diachinh.gcn.seal.2' LF serial LF key_id LF lower-case hex of the whole digest. To verify offline: take the content \
printed on the certificate or returned by the office, recompute digest and h, compare h, check s with the key. \
Certificates sealed before this scheme carry ...#c={content}&k={key_id}&s={signature}: c is base64url of the canonical \
content itself and s signs exactly those bytes.";

/// `GET /certificates/keys` (public): every office key, to verify QR payloads offline.
pub fn keys(conn: &mut PgConnection) -> Result<KeysView, Error> {
    let rows = db::keys(conn).context_db("loading the keys")?;
    Ok(KeysView {
        algorithm: "Ed25519".into(),
        canonical_form: KEYS_CANONICAL_FORM.into(),
        keys: rows
            .iter()
            .map(|k| PublicKeyView {
                key_id: k.key_id.clone(),
                province_code: k.province_code.clone(),
                algorithm: "Ed25519".into(),
                public_key: hex::encode(&k.public_key),
                created_at: k.created_at,
            })
            .collect(),
    })
}

/// `GET /certificates/{serial}` (staff of the province): the full record.
pub fn get(conn: &mut PgConnection, actor: &Actor, serial: &str) -> Result<CertificateView, Error> {
    check_serial(serial)?;
    let row = db::by_serial(conn, serial).context_db("loading the certificate")?.ok_or_else(|| not_found(serial))?;
    authz::authorize_certificate(conn, actor, Action::CertificateRead, &row.province_code, row.parcel_id)?;
    Ok(staff_view(&row))
}

/// `GET /certificates/{serial}/print` (staff of the province): the two-page HTML sheet.
pub fn print(conn: &mut PgConnection, actor: &Actor, serial: &str) -> Result<String, Error> {
    check_serial(serial)?;
    let row = db::by_serial(conn, serial).context_db("loading the certificate")?.ok_or_else(|| not_found(serial))?;
    authz::authorize_certificate(conn, actor, Action::CertificateRead, &row.province_code, row.parcel_id)?;
    let content = recorded_content(conn, &row)?;
    let version = db::parcel_version(conn, row.parcel_id, content.parcel.version)
        .context_db("loading the parcel version")?
        .ok_or_else(|| {
            anyhow::anyhow!("version {} of the parcel of certificate {serial} is missing", content.parcel.version)
        })?;
    let province = province_row(conn, &row.province_code)?;
    let diagram = diagram_of(&version, province.default_crs_epsg)?;
    let qr = row.qr_payload.as_deref().and_then(print::qr_svg);
    let status = match row.status {
        cert::Status::Revoked => print::Status::Revoked {
            on: row.revoked_at.map(cert::vietnam_date).unwrap_or(row.issued_on),
            reason: row.revoked_reason.as_deref().unwrap_or(""),
        },
        cert::Status::Replaced => print::Status::Replaced {
            by: row.replaced_by_serial.as_deref().unwrap_or(""),
            on: row.replaced_on.unwrap_or(row.issued_on),
            reason: row.replaced_reason.as_deref().unwrap_or(""),
        },
        cert::Status::Valid => print::Status::Valid,
    };
    Ok(print::render(&print::Sheet { content: &content, status, qr_svg: qr.as_deref(), diagram: &diagram }))
}

/// The diagram of a parcel version in its VN-2000 plane: the zone it was surveyed in, or for
/// WGS 84 submissions the province's zone (the nearest meridian when none is configured).
pub(crate) fn diagram_of(version: &ParcelRow, province_epsg: Option<i32>) -> Result<print::Diagram, Error> {
    let geometry: geojson::Geometry =
        version.geometry.parse().map_err(|e| anyhow::anyhow!("geometry of parcel {}: {e}", version.national_id))?;
    let wgs84 = domain::geometry::parse_polygonal(&geometry)
        .map_err(|e| anyhow::anyhow!("geometry of parcel {}: {}", version.national_id, e.message))?;
    let crs = match Crs::from_epsg(version.source_crs_epsg as u32) {
        Some(c @ Crs::Vn2000(_)) => c,
        _ => match province_epsg.and_then(|e| Crs::from_epsg(e as u32)) {
            Some(c @ Crs::Vn2000(_)) => c,
            _ => {
                use geo::BoundingRect;
                Crs::Vn2000(nearest_zone(wgs84.bounding_rect().map_or(105.0, |r| r.center().x)))
            }
        },
    };
    let planar =
        crs.from_wgs84(&wgs84).map_err(|e| anyhow::anyhow!("projecting parcel {}: {e}", version.national_id))?;
    Ok(print::diagram(&planar, crs.epsg()))
}

// ---------------------------------------------------------------------------------------------
// Certificates recorded elsewhere

/// Seals a certificate recorded without content (sample data, imports): builds its content from
/// the records, signs it with the office's key, and records its serial as an issued blank so
/// the serial can never be registered or issued again. Runs inside the caller's transaction.
pub fn seal_recorded(
    conn: &mut PgConnection,
    settings: &Settings,
    certificate_id: i64,
    base_url: &str,
) -> Result<Sealed, Error> {
    let row = reload(conn, certificate_id)?;
    let content = recorded_content(conn, &row)?;
    let key = office_key(conn, settings, &row.province_code)?;
    let sealed = cert::seal(&content, &key, base_url);
    db::set_seal(
        conn,
        row.id,
        &serde_json::to_value(&content).map_err(anyhow::Error::from)?,
        &sealed.key_id,
        &sealed.signature,
        &sealed.qr_payload,
    )
    .context_db("storing the signature")?;
    if cert::Serial::parse(&row.serial).is_ok() {
        db::record_issued_blank(conn, &row.serial, &row.province_code).context_db("recording the blank")?;
    }
    Ok(sealed)
}

/// Brings registry counters up to the numbers already used (after loading certificates).
pub fn sync_registry_counters(conn: &mut PgConnection) -> Result<usize, Error> {
    db::sync_registry_counters(conn).context_db("updating the registry counters")
}
