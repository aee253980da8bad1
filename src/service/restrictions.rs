//! Restrictions and responsibilities on the land: a bank's mortgage, an enforcement body's
//! seizure or hold, a court's injunction, a dispute notice, a lease. Each is registered and
//! released through an approved dossier of its own procedure (the catalogue's outcome says
//! which), audited, and — for mortgages and leases — endorsed on the valid certificate.
//!
//! Which procedures a restriction blocks is the blocking table (data, loaded from
//! `sample-data/restriction-blocks.csv`); [`ensure_unblocked`] is the one place that applies
//! it to a write (issuance, transfer, split, merge, registering another restriction).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{Connection, PgConnection};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::authz::{self, authorize, Action};
use super::{audit_json, Actor, DbContext, Error, FieldError, Settings};
use domain::restriction::{Effect, ProcedureOutcome, RestrictionKind};
use store::restrictions::{self as db, RestrictionRow};
use store::{audit, certificates as cert_db};

// ---------------------------------------------------------------------------------------------
// Requests

/// `POST /dossiers/{id}/restrictions`: what the dossier's procedure registers, on each of the
/// dossier's parcels. The kind comes from the procedure (e.g. 9.000001 registers a mortgage).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRestrictionRequest {
    /// Optional cross-check: the kind the procedure registers (mortgage, lease, sublease,
    /// seizure, injunction, enforcement_hold, dispute).
    pub kind: Option<String>,
    /// The law or decision the record rests on, e.g. "Nghị định 99/2022/NĐ-CP Điều 25".
    pub legal_basis: String,
    /// The mortgagee (bên nhận thế chấp), the court or enforcement body, the claimant, or the
    /// lessee. Required for every kind. Staff only: never shown publicly.
    pub counterparty: Option<String>,
    /// Contract or decision number. Required for mortgages, seizures, injunctions, holds and
    /// disputes (the acceptance notice).
    pub reference_no: Option<String>,
    /// Secured amount of a mortgage, in đồng.
    pub secured_amount: Option<i64>,
    /// A lease's term; its end is required for leases and sub-leases.
    pub term_start: Option<NaiveDate>,
    pub term_end: Option<NaiveDate>,
    /// The documents the record rests on (as handed in).
    #[serde(default)]
    pub documents: Vec<String>,
    pub description: Option<String>,
}

/// `POST /restrictions/{id}/release`: the dossier of the release procedure and why.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRequest {
    /// Id of an approved dossier of the procedure that releases this kind (e.g. 9.000002 for a
    /// mortgage), naming the record's parcel.
    pub dossier: i64,
    /// The grounds (Decree 99/2022 Art. 20(1) for a mortgage): repaid, court order, …
    pub reason: String,
}

/// `POST /restrictions/{id}/consents`: the restriction's right-holder (the mortgagee) agrees
/// to one dossier's procedure.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// Id of the dossier the consent is for; it names the record's parcel.
    pub dossier: i64,
    /// The written consent (văn bản đồng ý của bên nhận thế chấp số …).
    pub document: String,
}

// ---------------------------------------------------------------------------------------------
// Views

/// A consent recorded on a restriction.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConsentView {
    pub restriction: i64,
    pub dossier: i64,
    pub document: String,
    pub recorded_at: DateTime<Utc>,
}

/// A restriction record as staff see it: parties, figures and documents included.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RestrictionView {
    pub id: i64,
    /// mortgage, lease, sublease, seizure, injunction, enforcement_hold, dispute or
    /// restriction (records made before kinds were distinguished).
    pub kind: String,
    /// The kind as the register names it, in Vietnamese.
    pub label: String,
    /// National id of the parcel.
    pub parcel: String,
    pub in_force: bool,
    pub legal_basis: Option<String>,
    pub counterparty: Option<String>,
    pub reference_no: Option<String>,
    /// In đồng.
    pub secured_amount: Option<i64>,
    pub term_start: Option<NaiveDate>,
    pub term_end: Option<NaiveDate>,
    pub documents: Vec<String>,
    pub description: Option<String>,
    pub source_document: String,
    /// The dossier that registered it, and the one that released it.
    pub registered_dossier: Option<i64>,
    pub released_dossier: Option<i64>,
    pub registered_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it ended: the release's grounds, or the split or merge that carried it on.
    pub ended_reason: Option<String>,
    /// The record it was carried from when its parcel was split or merged.
    pub carried_from: Option<i64>,
    pub consents: Vec<ConsentView>,
}

/// `POST /dossiers/{id}/restrictions`: the records made, one per parcel of the dossier.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegisteredView {
    pub dossier: i64,
    pub restrictions: Vec<RestrictionView>,
    /// Serials of the certificates the registration was endorsed on.
    pub endorsed_certificates: Vec<String>,
}

/// `GET /parcels/{id}/restrictions`: every record on the parcel, in force first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RestrictionList {
    pub parcel: String,
    pub restrictions: Vec<RestrictionView>,
}

// ---------------------------------------------------------------------------------------------
// The one blocking check

/// Refuses (409, naming R7.2) when a restriction in force on the parcel blocks the procedure,
/// per the blocking table; consents recorded for `dossier_id` count.
pub fn ensure_unblocked(
    conn: &mut PgConnection,
    parcel_id: i64,
    procedure_code: &str,
    dossier_id: Option<i64>,
) -> Result<(), Error> {
    check_blockers(conn, parcel_id, procedure_code, dossier_id, None)
}

fn check_blockers(
    conn: &mut PgConnection,
    parcel_id: i64,
    procedure_code: &str,
    dossier_id: Option<i64>,
    releases: Option<i64>,
) -> Result<(), Error> {
    let recorded = db::in_force(conn, parcel_id, dossier_id).context_db("loading the restrictions")?;
    if recorded.is_empty() {
        return Ok(());
    }
    let table = db::blocking_table(conn).context_db("loading the blocking table")?;
    let blockers = table.blockers(procedure_code, releases, &recorded);
    if blockers.is_empty() {
        return Ok(());
    }
    let parcel = store::jurisdiction::national_id_of(conn, parcel_id)
        .context_db("naming the parcel")?
        .unwrap_or_else(|| parcel_id.to_string());
    let errors = blockers
        .iter()
        .map(|b| {
            FieldError::parameter("parcel", format!("{}: {}", parcel, b.describe())).with_detail(json!({
                "rule": "R7.2",
                "restriction": b.restriction.id,
                "kind": b.restriction.kind.as_str(),
                "reference": b.restriction.reference,
                "effect": b.rule.effect.as_str(),
                "legal_basis": b.rule.legal_basis,
            }))
        })
        .collect();
    Err(Error::Conflict {
        message: format!(
            "R7.2 no_blocking_restriction_or_dispute: procedure {procedure_code} is blocked on parcel {parcel} by {}",
            blockers.iter().map(|b| b.describe()).collect::<Vec<_>>().join("; ")
        ),
        errors,
    })
}

// ---------------------------------------------------------------------------------------------
// Registration, release, consent

fn text(pointer: &str, value: Option<&str>) -> Result<Option<String>, Error> {
    match value.map(str::trim) {
        None => Ok(None),
        Some("") => Err(Error::invalid(pointer, "must not be empty; omit it instead")),
        Some(t) => Ok(Some(t.to_string())),
    }
}

fn conflict(message: impl Into<String>) -> Error {
    Error::Conflict { message: message.into(), errors: vec![] }
}

/// The fields a kind of record cannot be registered without.
fn required_for(kind: RestrictionKind) -> &'static [(&'static str, &'static str)] {
    match kind {
        RestrictionKind::Mortgage => {
            &[("/counterparty", "the mortgagee (bên nhận thế chấp)"), ("/reference_no", "the mortgage contract number")]
        }
        RestrictionKind::Lease | RestrictionKind::Sublease => {
            &[("/counterparty", "the lessee"), ("/term_end", "the end of the lease's term")]
        }
        RestrictionKind::Seizure | RestrictionKind::Injunction | RestrictionKind::EnforcementHold => {
            &[("/counterparty", "the court or enforcement body"), ("/reference_no", "the decision's number")]
        }
        RestrictionKind::Dispute => &[
            ("/counterparty", "the claimant or the authority handling the dispute"),
            ("/reference_no", "the notice that the dispute was accepted"),
        ],
        RestrictionKind::Other => &[],
    }
}

struct Parsed {
    legal_basis: String,
    counterparty: Option<String>,
    reference_no: Option<String>,
    description: Option<String>,
    documents: serde_json::Value,
}

fn parse_register(kind: RestrictionKind, req: &RegisterRestrictionRequest) -> Result<Parsed, Error> {
    let mut errors = Vec::new();
    let mut field = |pointer: &str, value: Option<&str>| match text(pointer, value) {
        Ok(v) => v,
        Err(Error::Invalid(mut e)) => {
            errors.append(&mut e);
            None
        }
        Err(_) => None,
    };
    let legal_basis = field("/legal_basis", Some(&req.legal_basis));
    let counterparty = field("/counterparty", req.counterparty.as_deref());
    let reference_no = field("/reference_no", req.reference_no.as_deref());
    let description = field("/description", req.description.as_deref());
    for (pointer, what) in required_for(kind) {
        // A blank value was refused above; here only an absent one.
        let present = match *pointer {
            "/counterparty" => req.counterparty.is_some(),
            "/reference_no" => req.reference_no.is_some(),
            "/term_end" => req.term_end.is_some(),
            _ => true,
        };
        if !present {
            errors.push(FieldError::pointer(*pointer, format!("a {kind} is registered with {what}")));
        }
    }
    if let Some(amount) = req.secured_amount {
        if amount <= 0 {
            errors.push(FieldError::pointer("/secured_amount", "a secured amount is a positive number of đồng"));
        }
        if kind != RestrictionKind::Mortgage {
            errors.push(FieldError::pointer(
                "/secured_amount",
                format!("only a mortgage secures an amount, not a {kind}"),
            ));
        }
    }
    if let (Some(start), Some(end)) = (req.term_start, req.term_end) {
        if end <= start {
            errors.push(FieldError::pointer("/term_end", format!("the term ends ({end}) before it starts ({start})")));
        }
    }
    let mut documents = Vec::new();
    for (i, d) in req.documents.iter().enumerate() {
        match d.trim() {
            "" => errors.push(FieldError::pointer(format!("/documents/{i}"), "must not be empty")),
            d => documents.push(d.to_string()),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    Ok(Parsed {
        legal_basis: legal_basis.unwrap_or_default(),
        counterparty,
        reference_no,
        description,
        documents: json!(documents),
    })
}

/// The approved dossier of a register/release procedure, locked, with its parcels.
fn dossier_for(
    conn: &mut PgConnection,
    actor: &Actor,
    action: Action,
    dossier_id: i64,
    pointer: &str,
) -> Result<(cert_db::DossierRow, ProcedureOutcome, Vec<store::jurisdiction::LandRow>), Error> {
    let dossier =
        cert_db::dossier_for_issue(conn, dossier_id).context_db("loading the dossier")?.ok_or_else(
            || match pointer {
                "" => Error::NotFound(format!("dossier {dossier_id}")),
                p => Error::invalid(p, format!("no dossier has id {dossier_id}")),
            },
        )?;
    let land = authz::authorize_dossier(conn, actor, action, dossier.id, &dossier.province_code)?;
    if dossier.state != domain::dossier::State::Approved {
        return Err(conflict(format!(
            "dossier {} is {}, not approved: its result is recorded only once it is approved",
            dossier.receipt_no, dossier.state
        )));
    }
    let outcome = db::procedure_outcome(conn, &dossier.procedure_code)
        .context_db("loading the procedure")?
        .ok_or_else(|| anyhow::anyhow!("procedure {} has no outcome", dossier.procedure_code))?;
    Ok((dossier, outcome, land))
}

/// Endorses a registration or release on the valid certificate of the parcel, if any;
/// returns its serial.
fn endorse_on_certificate(
    conn: &mut PgConnection,
    settings: &Settings,
    parcel_id: i64,
    text: String,
    legal_basis: String,
    dossier: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, Error> {
    let Some(right) = cert_db::current_use_right(conn, parcel_id).context_db("loading the use right")? else {
        return Ok(None);
    };
    let Some(certificate) =
        cert_db::valid_of_right_for_update(conn, right.id).context_db("loading the valid certificate")?
    else {
        return Ok(None);
    };
    super::certificates::endorse(conn, settings, certificate.id, text, legal_basis, Some(dossier.to_string()), now)?;
    Ok(Some(certificate.serial))
}

fn vietnam_date(t: DateTime<Utc>) -> String {
    domain::certificate::vietnam_date(t).format("%d/%m/%Y").to_string()
}

/// The endorsement text of a registration (Circular 10/2024 Art. 41: content and legal basis).
fn registration_text(
    kind: RestrictionKind,
    p: &Parsed,
    amount: Option<i64>,
    term_end: Option<NaiveDate>,
    dossier: &str,
    now: DateTime<Utc>,
) -> String {
    let mut text = format!("Đăng ký {}", kind.label_vi());
    if let Some(c) = &p.counterparty {
        let with = match kind {
            RestrictionKind::Mortgage => "tại",
            RestrictionKind::Lease | RestrictionKind::Sublease => "cho",
            _ => "theo",
        };
        text.push_str(&format!(" {with} {c}"));
    }
    if let Some(r) = &p.reference_no {
        text.push_str(&format!(" theo hợp đồng/văn bản số {r}"));
    }
    if let Some(a) = amount {
        text.push_str(&format!(", số tiền bảo đảm {a} đồng"));
    }
    if let Some(t) = term_end {
        text.push_str(&format!(", thời hạn đến {}", t.format("%d/%m/%Y")));
    }
    text.push_str(&format!("; đăng ký ngày {} theo hồ sơ số {dossier}", vietnam_date(now)));
    text
}

/// A new certificate repeats the mortgages and leases in force on its parcel (DOMAIN-RRR §1:
/// on cấp đổi the mortgage is entered again on the new certificate; a split part's certificate
/// carries the mortgage that followed the land), as endorsements dated the day of issue.
pub(crate) fn enter_restrictions_in_force(
    conn: &mut PgConnection,
    mut content: domain::certificate::Content,
) -> Result<domain::certificate::Content, Error> {
    let Some(parcel) = store::jurisdiction::parcel_by_national_id(conn, &content.parcel.national_id)
        .context_db("finding the certificate's parcel")?
    else {
        return Ok(content);
    };
    let records = db::of_parcel(conn, parcel.id).context_db("loading the restrictions")?;
    for r in records.iter().filter(|r| r.valid_to.is_none() && r.kind.endorsed_on_certificate()) {
        let mut text = format!("Đang {}", r.kind.label_vi());
        if let Some(c) = &r.counterparty {
            text.push_str(&format!(" ({c})"));
        }
        if let Some(n) = &r.reference_no {
            text.push_str(&format!(" theo hợp đồng số {n}"));
        }
        text.push_str(&format!(", đăng ký ngày {}; ghi lại khi cấp Giấy chứng nhận này", vietnam_date(r.valid_from)));
        let basis = r.legal_basis.clone().unwrap_or_else(|| r.source_document.clone());
        let issued_on = content.issued_on;
        content
            .endorse(issued_on, &text, &basis, None)
            .map_err(|e| anyhow::anyhow!("entering restriction {} on the new certificate: {}", r.id, e.message))?;
    }
    Ok(content)
}

/// `POST /dossiers/{id}/restrictions` (approver of the land's province): records what an
/// approved dossier of a register procedure registers, on each of its parcels, unless the
/// blocking table says a restriction in force stops it (a seizure stops a mortgage, a dispute
/// stops a mortgage, …). Mortgages and leases are endorsed on the parcel's valid certificate.
pub fn register(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    dossier_id: i64,
    req: &RegisterRestrictionRequest,
    now: DateTime<Utc>,
) -> Result<RegisteredView, Error> {
    let asked = match req.kind.as_deref() {
        Some(k) => Some(RestrictionKind::parse(k).filter(|k| k.registrable()).ok_or_else(|| {
            Error::invalid("/kind", "one of mortgage, lease, sublease, seizure, injunction, enforcement_hold, dispute")
        })?),
        None => None,
    };
    conn.transaction(|conn| {
        let (dossier, outcome, land) = dossier_for(conn, actor, Action::RestrictionRegister, dossier_id, "")?;
        let ProcedureOutcome::RegisterRestriction(kind) = outcome else {
            return Err(conflict(format!(
                "dossier {} is procedure {} ({}), which registers no restriction; register through a dossier of a \
                 register procedure (GET /procedures lists their outcome register:<kind>)",
                dossier.receipt_no,
                dossier.procedure_code,
                outcome.as_text()
            )));
        };
        if let Some(a) = asked.filter(|a| *a != kind) {
            return Err(Error::invalid(
                "/kind",
                format!(
                    "dossier {}'s procedure {} registers a {kind}, not a {a}",
                    dossier.receipt_no, dossier.procedure_code
                ),
            ));
        }
        let parsed = parse_register(kind, req)?;
        if land.is_empty() {
            return Err(conflict(format!("dossier {} names no parcel", dossier.receipt_no)));
        }
        let mut views = Vec::new();
        let mut endorsed = Vec::new();
        for parcel in &land {
            if db::registered_by(conn, dossier.id, parcel.id).context_db("looking for an earlier registration")? {
                return Err(conflict(format!(
                    "dossier {} has already registered its {kind} on parcel {}",
                    dossier.receipt_no, parcel.national_id
                )));
            }
            ensure_unblocked(conn, parcel.id, &dossier.procedure_code, Some(dossier.id))?;
            let id = db::insert(
                conn,
                &db::NewRestriction {
                    kind,
                    parcel_id: parcel.id,
                    source_document: &format!("hồ sơ {} (thủ tục {})", dossier.receipt_no, dossier.procedure_code),
                    description: parsed.description.as_deref(),
                    legal_basis: &parsed.legal_basis,
                    counterparty: parsed.counterparty.as_deref(),
                    reference_no: parsed.reference_no.as_deref(),
                    secured_amount: req.secured_amount,
                    term_start: req.term_start,
                    term_end: req.term_end,
                    documents: &parsed.documents,
                    registered_dossier_id: dossier.id,
                },
            )
            .context_db("recording the restriction")?
            .ok_or_else(|| conflict(format!("parcel {} no longer exists (split or merged)", parcel.national_id)))?;
            if kind.endorsed_on_certificate() {
                let text = registration_text(kind, &parsed, req.secured_amount, req.term_end, &dossier.receipt_no, now);
                endorsed.extend(endorse_on_certificate(
                    conn,
                    settings,
                    parcel.id,
                    text,
                    parsed.legal_basis.clone(),
                    &dossier.receipt_no,
                    now,
                )?);
            }
            let view = load_view(conn, id)?;
            audit_restriction(conn, actor, "restriction.register", id, None, &view)?;
            views.push(view);
        }
        Ok(RegisteredView { dossier: dossier.id, restrictions: views, endorsed_certificates: endorsed })
    })
}

/// `POST /restrictions/{id}/release` (approver): ends a record in force through an approved
/// dossier of the procedure that releases its kind (xóa đăng ký thế chấp, giải tỏa kê biên…).
pub fn release(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    id: i64,
    req: &ReleaseRequest,
    now: DateTime<Utc>,
) -> Result<RestrictionView, Error> {
    let reason = text("/reason", Some(&req.reason))?.unwrap_or_default();
    conn.transaction(|conn| {
        let record = db::by_id_for_update(conn, id)
            .context_db("loading the restriction")?
            .ok_or_else(|| Error::NotFound(format!("restriction {id}")))?;
        let (dossier, outcome, land) = dossier_for(conn, actor, Action::RestrictionRelease, req.dossier, "/dossier")?;
        authorize_record(conn, actor, Action::RestrictionRelease, &record)?;
        if record.valid_to.is_some() {
            return Err(conflict(format!(
                "restriction {id} already ended{}",
                record.ended_reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
            )));
        }
        if outcome != ProcedureOutcome::ReleaseRestriction(record.kind) {
            return Err(Error::invalid(
                "/dossier",
                format!(
                    "dossier {} is procedure {} ({}); restriction {id} is a {} and is released by a release:{} procedure",
                    dossier.receipt_no,
                    dossier.procedure_code,
                    outcome.as_text(),
                    record.kind,
                    record.kind
                ),
            ));
        }
        if !land.iter().any(|l| l.id == record.parcel_id) {
            return Err(Error::invalid(
                "/dossier",
                format!("dossier {} does not name the parcel restriction {id} is on", dossier.receipt_no),
            ));
        }
        check_blockers(conn, record.parcel_id, &dossier.procedure_code, Some(dossier.id), Some(id))?;
        let before = load_view(conn, id)?;
        if !db::release(conn, id, dossier.id, &reason).context_db("releasing the restriction")? {
            return Err(conflict(format!("restriction {id} already ended")));
        }
        if record.kind.endorsed_on_certificate() {
            let text = format!(
                "Xóa đăng ký {}{} theo hồ sơ số {} ngày {}: {reason}",
                record.kind.label_vi(),
                record.reference_no.as_deref().map(|r| format!(" (hợp đồng số {r})")).unwrap_or_default(),
                dossier.receipt_no,
                vietnam_date(now)
            );
            let basis = record.legal_basis.clone().unwrap_or_default();
            endorse_on_certificate(conn, settings, record.parcel_id, text, basis, &dossier.receipt_no, now)?;
        }
        let after = load_view(conn, id)?;
        audit_restriction(conn, actor, "restriction.release", id, Some(&before), &after)?;
        Ok(after)
    })
}

/// `POST /restrictions/{id}/consents` (officer or approver): the restriction's right-holder
/// consents to one dossier's procedure (a mortgagee to the transfer), lifting a
/// `blocks_unless_consent` row of the blocking table for that dossier only.
pub fn consent(conn: &mut PgConnection, actor: &Actor, id: i64, req: &ConsentRequest) -> Result<ConsentView, Error> {
    let document = text("/document", Some(&req.document))?.unwrap_or_default();
    conn.transaction(|conn| {
        let record = db::by_id_for_update(conn, id)
            .context_db("loading the restriction")?
            .ok_or_else(|| Error::NotFound(format!("restriction {id}")))?;
        authorize_record(conn, actor, Action::RestrictionConsent, &record)?;
        if record.valid_to.is_some() {
            return Err(conflict(format!("restriction {id} has ended; a consent is for a record in force")));
        }
        let dossier = cert_db::dossier_for_issue(conn, req.dossier)
            .context_db("loading the dossier")?
            .ok_or_else(|| Error::invalid("/dossier", format!("no dossier has id {}", req.dossier)))?;
        let land = authz::authorize_dossier(conn, actor, Action::RestrictionConsent, dossier.id, &dossier.province_code)?;
        if !land.iter().any(|l| l.id == record.parcel_id) {
            return Err(Error::invalid(
                "/dossier",
                format!("dossier {} does not name the parcel restriction {id} is on", dossier.receipt_no),
            ));
        }
        if dossier.state.is_final() {
            return Err(conflict(format!("dossier {} is {}: nothing left to consent to", dossier.receipt_no, dossier.state)));
        }
        let table = db::blocking_table(conn).context_db("loading the blocking table")?;
        if table.rule(record.kind, &dossier.procedure_code).map(|r| r.effect) != Some(Effect::BlocksUnlessConsent) {
            return Err(Error::invalid(
                "/dossier",
                format!(
                    "a {}'s consent does not bear on procedure {} (the blocking table has no blocks_unless_consent row for it)",
                    record.kind, dossier.procedure_code
                ),
            ));
        }
        if !db::insert_consent(conn, id, dossier.id, &document, actor.user_id).context_db("recording the consent")? {
            return Err(conflict(format!("a consent for dossier {} is already recorded on restriction {id}", dossier.receipt_no)));
        }
        let view = ConsentView { restriction: id, dossier: dossier.id, document, recorded_at: Utc::now() };
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: Some(actor.user_id),
                actor: &actor.username,
                action: "restriction.consent",
                entity: "restriction",
                entity_id: &id.to_string(),
                before: None,
                after: Some(audit_json(&view)?),
            },
        )
        .context_db("writing the audit log")?;
        Ok(view)
    })
}

// ---------------------------------------------------------------------------------------------
// Reading

/// `GET /restrictions/{id}` (staff of the land's province).
pub fn get(conn: &mut PgConnection, actor: &Actor, id: i64) -> Result<RestrictionView, Error> {
    let record = db::by_id(conn, id)
        .context_db("loading the restriction")?
        .ok_or_else(|| Error::NotFound(format!("restriction {id}")))?;
    authorize_record(conn, actor, Action::RestrictionRead, &record)?;
    view_of(conn, record)
}

/// `GET /parcels/{id}/restrictions` (staff of the parcel's province): every record, in force
/// first; the history of a parcel split or merged away stays on it.
pub fn of_parcel(conn: &mut PgConnection, actor: &Actor, national_id: &str) -> Result<RestrictionList, Error> {
    let parcel = store::jurisdiction::parcel_by_national_id(conn, national_id)
        .context_db("loading the parcel")?
        .ok_or_else(|| Error::NotFound(format!("parcel {national_id}")))?;
    authorize(actor, Action::RestrictionRead, &parcel.province_code)?;
    let rows = db::of_parcel(conn, parcel.id).context_db("loading the restrictions")?;
    let restrictions = rows.into_iter().map(|r| view_of(conn, r)).collect::<Result<_, _>>()?;
    Ok(RestrictionList { parcel: parcel.national_id, restrictions })
}

fn authorize_record(
    conn: &mut PgConnection,
    actor: &Actor,
    action: Action,
    record: &RestrictionRow,
) -> Result<(), Error> {
    let province = store::jurisdiction::parcel_province(conn, record.parcel_id)
        .context_db("finding the restriction's parcel")?
        .ok_or_else(|| anyhow::anyhow!("parcel {} of restriction {} is missing", record.parcel_id, record.id))?;
    authorize(actor, action, &province)
}

fn load_view(conn: &mut PgConnection, id: i64) -> Result<RestrictionView, Error> {
    let row = db::by_id(conn, id)
        .context_db("reading the restriction back")?
        .ok_or_else(|| anyhow::anyhow!("restriction {id} vanished inside its own transaction"))?;
    view_of(conn, row)
}

fn view_of(conn: &mut PgConnection, r: RestrictionRow) -> Result<RestrictionView, Error> {
    let parcel =
        store::jurisdiction::national_id_of(conn, r.parcel_id).context_db("naming the parcel")?.unwrap_or_default();
    let consents = db::consents(conn, r.id)
        .context_db("loading the consents")?
        .into_iter()
        .map(|(dossier, document, recorded_at)| ConsentView { restriction: r.id, dossier, document, recorded_at })
        .collect();
    Ok(RestrictionView {
        id: r.id,
        kind: r.kind.as_str().to_string(),
        label: r.kind.label_vi().to_string(),
        parcel,
        in_force: r.valid_to.is_none(),
        legal_basis: r.legal_basis,
        counterparty: r.counterparty,
        reference_no: r.reference_no,
        secured_amount: r.secured_amount,
        term_start: r.term_start,
        term_end: r.term_end,
        documents: serde_json::from_value(r.documents).unwrap_or_default(),
        description: r.description,
        source_document: r.source_document,
        registered_dossier: r.registered_dossier_id,
        released_dossier: r.released_dossier_id,
        registered_at: r.valid_from,
        ended_at: r.valid_to,
        ended_reason: r.ended_reason,
        carried_from: r.carried_from_id,
        consents,
    })
}

fn audit_restriction(
    conn: &mut PgConnection,
    actor: &Actor,
    action: &str,
    id: i64,
    before: Option<&RestrictionView>,
    after: &RestrictionView,
) -> Result<(), Error> {
    audit::append(
        conn,
        audit::AuditEntry {
            actor_id: Some(actor.user_id),
            actor: &actor.username,
            action,
            entity: "restriction",
            entity_id: &id.to_string(),
            before: before.map(audit_json).transpose()?,
            after: Some(audit_json(after)?),
        },
    )
    .context_db("writing the audit log")
}

/// Loads the blocking table from `dir` (`restriction-blocks.csv`), checking that every
/// procedure it names is in the catalogue; replaces the table. Returns the number of rows.
pub fn load_reference(conn: &mut PgConnection, dir: &std::path::Path) -> anyhow::Result<usize> {
    use anyhow::Context;
    let file = domain::restriction::BlockingTable::FILE;
    let text = std::fs::read_to_string(dir.join(file)).with_context(|| format!("while reading {file}"))?;
    let table = domain::restriction::BlockingTable::parse_csv(&text).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
    for rule in &table.rules {
        if let Some(code) = &rule.procedure {
            if db::procedure_outcome(conn, code)?.is_none() {
                anyhow::bail!("{file}: procedure {code} is not in procedures.csv");
            }
        }
    }
    Ok(db::replace_blocking_table(conn, &table)?)
}
