//! Đăng ký biến động: the result of an approved dossier of a `change` procedure, recorded on
//! the register (`POST /dossiers/{id}/changes`). Every change closes the parcel's use right and
//! opens its next version (`carried_from_id`), and for a purpose, term or boundary change the
//! parcel's next version too — never an update in place; then it endorses the valid certificate
//! or issues a new one replacing it, as the procedure's change rules say (data:
//! `sample-data/change-rules.csv`), tracks the 30-day deadline of Land Law 2024 Art. 133(3), and
//! appends its audit entry, all in one transaction.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{Connection, PgConnection};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::authz::{self, Action};
use super::certificates::{self as certs, CertificateView, Held, HolderInput};
use super::{audit_json, Actor, DbContext, Error, Settings};
use domain::certificate::{self as cert, Holder, Predecessor, UseForm};
use domain::change::{self, ChangeKind, ChangeResult, ChangeRule};
use domain::restriction::ProcedureOutcome;
use store::parcels::NewLandUse;
use store::{audit, certificates as cert_db, parcels as parcel_db, rights};

/// Land-use areas closer than this are equal (areas are kept to 0.1 m²).
const AREA_EPSILON: f64 = 0.05;

// ---------------------------------------------------------------------------------------------
// Requests

/// `POST /dossiers/{id}/changes`: the change the approved dossier registers.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRequest {
    pub change: Change,
    /// Cơ sở pháp lý: the decision, contract or document the change rests on.
    pub legal_basis: String,
    /// Date of the underlying event (contract, partition of the estate, decision): required for
    /// the changes with a registration deadline (Land Law 2024 Art. 133(3), 30 days).
    pub event_date: Option<NaiveDate>,
    /// The holder asks for a new certificate instead of an endorsement (Decree 101/2024 Art. 23).
    #[serde(default)]
    pub new_certificate: bool,
    /// Ghi chú of a new certificate.
    pub notes: Option<String>,
}

/// One change, by kind. Holders are named by their position (from 0) on the valid certificate.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Change {
    /// Chuyển mục đích: `area_m2` (all of it when omitted) of land use `from` becomes `to`.
    Purpose { from: String, to: String, area_m2: Option<f64>, use_until: Option<NaiveDate> },
    /// A holder's new name, ID number or address.
    HolderDetails { holder: usize, name: Option<String>, id_number: Option<String>, address: Option<String> },
    /// Gia hạn: the term of land use `code` (null: lâu dài).
    Term { code: String, use_until: Option<NaiveDate> },
    /// The boundary after a re-survey (remapping), in `crs` (default WGS 84).
    Boundary {
        crs: Option<String>,
        #[schema(value_type = Object)]
        geometry: Value,
        reason: String,
    },
    /// Thừa kế: holder `deceased` leaves; the heirs' shares (of the whole right) add up to theirs.
    Inheritance { deceased: usize, heirs: Vec<HolderInput> },
    /// A co-owner's share (`share` of the whole right; all of theirs when omitted) goes to `to`.
    ShareTransfer { from: usize, share: Option<f64>, to: Vec<HolderInput> },
    /// A couple's or a household's joint right becomes shares of the holders named.
    Division { holders: Vec<HolderInput> },
}

impl Change {
    fn kind(&self) -> ChangeKind {
        match self {
            Change::Purpose { .. } => ChangeKind::Purpose,
            Change::HolderDetails { .. } => ChangeKind::HolderDetails,
            Change::Term { .. } => ChangeKind::Term,
            Change::Boundary { .. } => ChangeKind::Boundary,
            Change::Inheritance { .. } => ChangeKind::Inheritance,
            Change::ShareTransfer { .. } => ChangeKind::ShareTransfer,
            Change::Division { .. } => ChangeKind::Division,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Views

/// The registered change.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChangeView {
    pub id: i64,
    pub dossier: i64,
    /// Receipt number of the dossier (hồ sơ số).
    pub receipt_no: String,
    /// National id of the parcel.
    pub parcel: String,
    pub kind: String,
    /// endorsement or new_certificate.
    pub result: String,
    /// The use right closed and its next version opened.
    pub right_from: i64,
    pub right_to: i64,
    /// The parcel's version before and after (equal when the parcel did not change).
    pub version_from: i32,
    pub version_to: i32,
    /// The text entered on the certificate, for an endorsement.
    pub endorsement: Option<String>,
    /// The certificate endorsed, or the new one.
    pub certificate: CertificateView,
    /// Serial of the certificate the new one replaced.
    pub replaced: Option<String>,
    pub event_date: Option<NaiveDate>,
    /// Last day to register (Land Law 2024 Art. 133(3)); null when the change has no deadline.
    pub due_on: Option<NaiveDate>,
    /// Registered after `due_on`.
    pub late: bool,
    /// What changed, without names (as the public history shows it).
    pub summary: String,
}

// ---------------------------------------------------------------------------------------------
// The use case

/// What a change does, worked out before anything is written.
struct Plan {
    holders: Vec<Held>,
    /// A new parcel version: land uses (copying the boundary) or a new boundary.
    parcel: ParcelPlan,
    text: String,
    summary: String,
}

enum ParcelPlan {
    Same,
    LandUses(Vec<NewLandUse>),
    Boundary { crs: domain::crs::Crs, geometry: geo_types::MultiPolygon<f64>, reason: String },
}

/// `POST /dossiers/{id}/changes` (approver of the land's province).
pub fn record(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    dossier_id: i64,
    req: &ChangeRequest,
    now: DateTime<Utc>,
) -> Result<ChangeView, Error> {
    let legal_basis = text("/legal_basis", Some(&req.legal_basis), 1000)?
        .ok_or_else(|| Error::invalid("/legal_basis", "the legal basis (cơ sở pháp lý) is required"))?;
    let notes = text("/notes", req.notes.as_deref(), 2000)?;
    let kind = req.change.kind();
    conn.transaction(|conn| {
        let dossier = cert_db::dossier_for_issue(conn, dossier_id)
            .context_db("loading the dossier")?
            .ok_or_else(|| Error::NotFound(format!("dossier {dossier_id}")))?;
        let outcome = store::restrictions::procedure_outcome(conn, &dossier.procedure_code)
            .context_db("loading the dossier's procedure")?
            .ok_or_else(|| anyhow::anyhow!("procedure {} has no outcome", dossier.procedure_code))?;
        let action = if kind.changes_holders() { Action::CertificateTransfer } else { Action::CertificateIssue };
        authz::authorize_dossier(conn, actor, action, dossier.id, &dossier.province_code)?;
        if outcome != ProcedureOutcome::Change {
            return Err(certs::conflict(format!(
                "dossier {} is of procedure {} ({}), not a change after issuance",
                dossier.receipt_no,
                dossier.procedure_code,
                outcome.as_text()
            )));
        }
        if dossier.state != domain::dossier::State::Approved {
            return Err(certs::conflict(format!(
                "dossier {} is {}, not approved: a change is recorded only for an approved dossier",
                dossier.receipt_no, dossier.state
            )));
        }
        if rights::change_of_dossier(conn, dossier.id).context_db("looking for an earlier change")? {
            return Err(certs::conflict(format!("dossier {} has already recorded its change", dossier.receipt_no)));
        }
        let rules = rights::change_rules_of(conn, &dossier.procedure_code).context_db("loading the change rules")?;
        let rule_row = rules.iter().find(|r| r.change_kind == kind.as_str()).ok_or_else(|| {
            let kinds: Vec<&str> = rules.iter().map(|r| r.change_kind.as_str()).collect();
            Error::invalid(
                "/change/kind",
                format!(
                    "procedure {} does not register a {} change; it registers: {}",
                    dossier.procedure_code,
                    kind.as_str(),
                    if kinds.is_empty() { "nothing (no change rules)".into() } else { kinds.join(", ") }
                ),
            )
        })?;
        let rule = ChangeRule {
            result: ChangeResult::parse(&rule_row.result)
                .ok_or_else(|| anyhow::anyhow!("change rule result {:?}", rule_row.result))?,
            deadline_days: rule_row.deadline_days.map(|d| d as u32),
            legal_basis: rule_row.legal_basis.clone(),
        };
        let today = cert::vietnam_date(now);
        let deadline =
            change::deadline(&rule, req.event_date, today).map_err(|e| Error::invalid(e.pointer, e.message))?;
        let result = rule.result_for(req.new_certificate);

        let parcel_id =
            match cert_db::dossier_parcels(conn, dossier.id).context_db("loading the dossier's parcels")?.as_slice() {
                [one] => *one,
                other => {
                    return Err(certs::conflict(format!(
                        "dossier {} names {} parcels; a change is registered on one",
                        dossier.receipt_no,
                        other.len()
                    )))
                }
            };
        let parcel = cert_db::current_version_locked(conn, parcel_id)
            .context_db("loading the parcel")?
            .ok_or_else(|| certs::conflict(format!("the dossier's parcel (id {parcel_id}) no longer exists")))?;
        super::restrictions::ensure_unblocked(conn, parcel_id, &dossier.procedure_code, Some(dossier.id))?;
        let right = cert_db::current_use_right(conn, parcel_id)
            .context_db("loading the use right")?
            .ok_or_else(|| certs::conflict(format!("parcel {} has no current use right", parcel.national_id)))?;
        let old = cert_db::valid_of_right_for_update(conn, right.id)
            .context_db("loading the certificate")?
            .ok_or_else(|| {
                certs::conflict(format!(
                    "parcel {} has no valid certificate: a change after issuance needs one",
                    parcel.national_id
                ))
            })?;
        let held = certs::held_of_right(conn, right.id)?;
        let plan = plan(conn, &req.change, &parcel, &held, &dossier.receipt_no)?;

        // The parcel's next version, when the change is about the land.
        let reason = format!("{} theo hồ sơ {}", kind.label_vi(), dossier.receipt_no);
        let current = match plan.parcel {
            ParcelPlan::Same => parcel.clone(),
            ParcelPlan::LandUses(uses) => {
                let version =
                    parcel_db::close_current_version(conn, parcel_id).context_db("closing the parcel version")?;
                parcel_db::copy_version(
                    conn,
                    parcel.version_id,
                    version + 1,
                    &reason,
                    parcel.address.as_deref(),
                    &uses,
                )
                .context_db("writing the parcel's new version")?;
                cert_db::current_version_locked(conn, parcel_id)
                    .context_db("reading the parcel back")?
                    .ok_or_else(|| anyhow::anyhow!("parcel {parcel_id} vanished"))?
            }
            ParcelPlan::Boundary { crs, geometry, reason: why } => super::parcels::new_boundary_version(
                conn,
                settings,
                &parcel,
                crs,
                &geometry,
                None,
                &format!("{why} ({reason})"),
                "/change",
            )?,
        };
        // The right's next version, on the parcel's current version.
        cert_db::close_right(conn, right.id, &reason, Some(dossier.id)).context_db("closing the use right")?;
        let source = format!("hồ sơ {} (thủ tục {})", dossier.receipt_no, dossier.procedure_code);
        let new_rrr = certs::new_right_of(conn, parcel_id, &plan.holders, &source, Some(dossier.id), Some(right.id))?;
        let holders: Vec<Holder> = plan.holders.iter().map(|h| h.holder.clone()).collect();

        let (certificate_id, replaced, endorsement) = match result {
            ChangeResult::Endorsement => {
                if cert_db::move_to_right(conn, old.id, new_rrr).context_db("moving the certificate")? != 1 {
                    return Err(certs::conflict(format!("certificate {} is no longer valid", old.serial)));
                }
                let e = certs::endorse(
                    conn,
                    settings,
                    old.id,
                    plan.text.clone(),
                    legal_basis.clone(),
                    Some(dossier.receipt_no.clone()),
                    now,
                )?;
                (old.id, None, Some(e.text))
            }
            ChangeResult::NewCertificate => {
                let previous = certs::recorded_content(conn, &old)?;
                let mut block = certs::parcel_block(
                    conn,
                    &current,
                    UseForm::for_holders(&holders),
                    Some(&previous.parcel.land_uses),
                    &Vec::new(),
                )?;
                if let Change::Term { code, use_until } = &req.change {
                    block.land_uses.iter_mut().filter(|l| &l.code == code).for_each(|l| l.use_until = *use_until);
                }
                let province = certs::province_row(conn, &dossier.province_code)?;
                let draft = certs::Draft {
                    procedure: dossier.procedure_code.clone(),
                    rrr_id: new_rrr,
                    holders: holders.clone(),
                    parcel: block,
                    origin: previous.origin.clone(),
                    notes: notes.clone().or(previous.notes.clone()),
                    replaces: Some(Predecessor { serial: old.serial.clone(), reason: "change".into() }),
                    dossier_id: Some(dossier.id),
                    reserved_id: None,
                };
                let (id, _) =
                    certs::write_certificate(conn, settings, &settings.public_base_url, now, &province, draft)?;
                cert_db::mark_replaced(conn, old.id, id).context_db("marking the old certificate replaced")?;
                (id, Some(old.serial.clone()), None)
            }
        };
        let row = certs::reload(conn, certificate_id)?;
        let change_id = rights::insert_change(
            conn,
            &rights::NewChange {
                dossier_id: dossier.id,
                parcel_id,
                kind: kind.as_str(),
                result: result.as_str(),
                from_rrr_id: right.id,
                to_rrr_id: new_rrr,
                from_version: parcel.version,
                to_version: current.version,
                certificate_id,
                replaced_certificate_id: replaced.as_ref().map(|_| old.id),
                event_date: req.event_date,
                due_on: deadline.map(|d| d.due),
                late: deadline.is_some_and(|d| d.late),
                summary: &plan.summary,
                recorded_by: Some(actor.user_id),
            },
        )
        .map_err(|e| certs::conflict_or_db(e, "recording the change"))?;
        let view = ChangeView {
            id: change_id,
            dossier: dossier.id,
            receipt_no: dossier.receipt_no.clone(),
            parcel: parcel.national_id.clone(),
            kind: kind.as_str().into(),
            result: result.as_str().into(),
            right_from: right.id,
            right_to: new_rrr,
            version_from: parcel.version,
            version_to: current.version,
            endorsement,
            certificate: certs::staff_view(&row),
            replaced,
            event_date: req.event_date,
            due_on: deadline.map(|d| d.due),
            late: deadline.is_some_and(|d| d.late),
            summary: plan.summary.clone(),
        };
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: Some(actor.user_id),
                actor: &actor.username,
                action: "change.register",
                entity: "parcel",
                entity_id: &parcel.national_id,
                before: Some(json!({"right": right.id, "version": parcel.version, "certificate": certs::brief(&old),
                                    "holders": held.iter().map(|h| &h.holder).collect::<Vec<_>>()})),
                after: Some(json!({"change": audit_json(&view)?, "holders": holders, "rule": rule.legal_basis})),
            },
        )
        .context_db("writing the audit log")?;
        Ok(view)
    })
}

/// Works out the holders, the parcel's new land uses or boundary and the texts of a change.
fn plan(
    conn: &mut PgConnection,
    change: &Change,
    parcel: &parcel_db::ParcelRow,
    held: &[Held],
    receipt: &str,
) -> Result<Plan, Error> {
    let holders: Vec<Holder> = held.iter().map(|h| h.holder.clone()).collect();
    let keep = |held: &[Held]| held.to_vec();
    let invalid = |e: cert::InputError| Error::invalid(e.pointer, e.message);
    Ok(match change {
        Change::Purpose { from, to, area_m2, use_until } => {
            let mut uses =
                parcel_db::land_uses_of_version(conn, parcel.version_id).context_db("loading the land uses")?;
            let i = uses.iter().position(|u| &u.code == from).ok_or_else(|| {
                Error::invalid("/change/from", format!("parcel {} has no land use {from}", parcel.national_id))
            })?;
            if !domain::parcel::is_land_use_code(to) || to == from {
                return Err(Error::invalid("/change/to", "another land-use code, three capital letters (e.g. CLN)"));
            }
            let names =
                cert_db::land_use_names(conn, &[from.clone(), to.clone()]).context_db("loading land-use names")?;
            let name = |c: &str| names.iter().find(|(k, _)| k == c).map(|(_, n)| n.clone());
            let to_name =
                name(to).ok_or_else(|| Error::invalid("/change/to", format!("unknown land-use code {to}")))?;
            let available = uses[i].area_m2;
            let area = (area_m2.unwrap_or(available) * 10.0).round() / 10.0;
            if !(area > 0.0 && area <= available + AREA_EPSILON) {
                return Err(Error::invalid(
                    "/change/area_m2",
                    format!("{from} covers {available} m²: the area changed must be above 0 and at most that"),
                ));
            }
            let origin = uses[i].origin.clone();
            uses[i].area_m2 -= area;
            match uses.iter_mut().find(|u| &u.code == to) {
                Some(u) => u.area_m2 += area,
                None => uses.push(NewLandUse { code: to.clone(), area_m2: area, use_until: *use_until, origin }),
            }
            uses.retain(|u| u.area_m2 > AREA_EPSILON);
            let area_text = cert::print::vn_number(area, 1);
            let from_text = format!("{} ({from})", name(from).unwrap_or_else(|| from.clone()));
            Plan {
                holders: keep(held),
                parcel: ParcelPlan::LandUses(uses),
                text: change::from_to(
                    &format!("Chuyển mục đích sử dụng {area_text} m² đất"),
                    &from_text,
                    &format!("{to_name} ({to})"),
                    receipt,
                ),
                summary: format!("{}: {area_text} m² {from} → {to}", ChangeKind::Purpose.label_vi()),
            }
        }
        Change::Term { code, use_until } => {
            let mut uses =
                parcel_db::land_uses_of_version(conn, parcel.version_id).context_db("loading the land uses")?;
            let u = uses.iter_mut().find(|u| &u.code == code).ok_or_else(|| {
                Error::invalid("/change/code", format!("parcel {} has no land use {code}", parcel.national_id))
            })?;
            let term = |d: Option<NaiveDate>| {
                d.map_or("lâu dài".to_string(), |d| format!("đến ngày {}", cert::print::vn_date(d)))
            };
            let before = term(u.use_until);
            u.use_until = *use_until;
            Plan {
                holders: keep(held),
                parcel: ParcelPlan::LandUses(uses),
                text: change::from_to(
                    &format!("Gia hạn thời hạn sử dụng đất {code}"),
                    &before,
                    &term(*use_until),
                    receipt,
                ),
                summary: format!("{} {code}: {}", ChangeKind::Term.label_vi(), term(*use_until)),
            }
        }
        Change::Boundary { crs, geometry, reason } => {
            let reason = text("/change/reason", Some(reason), 500)?
                .ok_or_else(|| Error::invalid("/change/reason", "say what the re-survey found"))?;
            let (crs, geometry) = super::parcels::parse_boundary("/change", crs.as_deref(), geometry)?;
            Plan {
                holders: keep(held),
                parcel: ParcelPlan::Boundary { crs, geometry, reason },
                text: format!("Thay đổi ranh giới, diện tích thửa đất sau đo đạc lại theo hồ sơ số {receipt}"),
                summary: ChangeKind::Boundary.label_vi().to_string(),
            }
        }
        Change::HolderDetails { holder, name, id_number, address } => {
            let h = held.get(*holder).ok_or_else(|| {
                Error::invalid("/change/holder", format!("the right has {} holders, numbered from 0", held.len()))
            })?;
            let mut new = h.holder.clone();
            let mut parts = Vec::new();
            let mut fields = Vec::new();
            let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(không có)".into());
            if let Some(n) = name {
                let n = text("/change/name", Some(n), 200)?
                    .ok_or_else(|| Error::invalid("/change/name", "a name is required"))?;
                parts.push(format!("họ tên từ {} thành {n}", new.name));
                fields.push("họ tên");
                new.name = n;
            }
            if let Some(id) = id_number {
                let parsed = Holder::parse("person", "x", Some(id), 1.0)
                    .map_err(|e| Error::invalid("/change/id_number", e.message))?;
                parts.push(format!("số định danh từ {} thành {}", shown(&new.id_number), shown(&parsed.id_number)));
                fields.push("giấy tờ nhân thân");
                new.id_number = parsed.id_number;
            }
            if let Some(a) = address {
                let a = text("/change/address", Some(a), 300)?;
                parts.push(format!("địa chỉ từ {} thành {}", shown(&new.address), shown(&a)));
                fields.push("địa chỉ");
                new.address = a;
            }
            if parts.is_empty() {
                return Err(Error::invalid("/change", "give the new name, id_number or address"));
            }
            let mut out = keep(held);
            out[*holder] = Held { party_id: None, holder: new };
            Plan {
                holders: out,
                parcel: ParcelPlan::Same,
                text: format!(
                    "Thay đổi thông tin người sử dụng đất {}: {} theo hồ sơ số {receipt}",
                    h.holder.name,
                    parts.join("; ")
                ),
                summary: format!("{}: {}", ChangeKind::HolderDetails.label_vi(), fields.join(", ")),
            }
        }
        Change::Inheritance { deceased, heirs } => {
            let heirs = certs::parse_holder_list("/change/heirs", heirs)?;
            let out = change::inherit(&holders, *deceased, heirs.clone()).map_err(invalid)?;
            let gone = &holders[*deceased];
            let mut new: Vec<Held> =
                held.iter().enumerate().filter(|(i, _)| i != deceased).map(|(_, h)| h.clone()).collect();
            new.extend(heirs.iter().map(|h| Held { party_id: None, holder: h.clone() }));
            debug_assert_eq!(new.len(), out.len());
            Plan {
                holders: new,
                parcel: ParcelPlan::Same,
                text: format!(
                    "Nhận thừa kế quyền sử dụng đất của {} ({}): {} theo hồ sơ số {receipt}",
                    gone.name,
                    change::percent(gone.share),
                    change::names_with_shares(&heirs)
                ),
                summary: format!("{}: {} người thừa kế", ChangeKind::Inheritance.label_vi(), heirs.len()),
            }
        }
        Change::ShareTransfer { from, share, to } => {
            let buyers = certs::parse_holder_list("/change/to", to)?;
            let out = change::transfer_share(&holders, *from, *share, buyers.clone()).map_err(invalid)?;
            let seller = &holders[*from];
            let portion = (share.unwrap_or(seller.share) * 1e8).round() / 1e8;
            let left = ((seller.share - portion) * 1e8).round() / 1e8;
            let mut new = Vec::with_capacity(out.len());
            for (i, h) in held.iter().enumerate() {
                if i != *from {
                    new.push(h.clone());
                } else if left > cert::SHARE_TOLERANCE {
                    // The seller keeps the rest: the same party, a smaller share.
                    new.push(Held { party_id: h.party_id, holder: Holder { share: left, ..h.holder.clone() } });
                }
            }
            new.extend(buyers.iter().map(|b| Held { party_id: None, holder: b.clone() }));
            Plan {
                holders: new,
                parcel: ParcelPlan::Same,
                text: format!(
                    "{} chuyển nhượng phần quyền sử dụng đất {} cho {}; phần quyền của những người sử dụng chung khác không thay đổi theo hồ sơ số {receipt}",
                    seller.name,
                    change::percent(portion),
                    change::names_with_shares(&buyers)
                ),
                summary: format!("{}: {}", ChangeKind::ShareTransfer.label_vi(), change::percent(portion)),
            }
        }
        Change::Division { holders: into } => {
            let into = certs::parse_holder_list("/change/holders", into)?;
            let out = change::divide(&holders, into).map_err(invalid)?;
            Plan {
                holders: out.iter().map(|h| Held { party_id: None, holder: h.clone() }).collect(),
                parcel: ParcelPlan::Same,
                text: format!(
                    "Phân chia quyền sử dụng đất chung thành phần quyền: {} theo hồ sơ số {receipt}",
                    change::names_with_shares(&out)
                ),
                summary: format!("{}: {} phần quyền", ChangeKind::Division.label_vi(), out.len()),
            }
        }
    })
}

/// Trimmed one-line text of at most `max` characters; None when empty.
fn text(pointer: &str, value: Option<&str>, max: usize) -> Result<Option<String>, Error> {
    let t = value.unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ");
    if t.chars().any(char::is_control) {
        return Err(Error::invalid(pointer, "control characters are not allowed"));
    }
    if t.chars().count() > max {
        return Err(Error::invalid(pointer, format!("at most {max} characters")));
    }
    Ok((!t.is_empty()).then_some(t))
}

// ---------------------------------------------------------------------------------------------
// Reference data

/// Loads `change-rules.csv` and `issuing-authorities.csv` from `dir` (idempotent); returns the
/// rows loaded. Columns are read by the header; the last (legal_basis) may hold commas.
pub fn load_reference(conn: &mut PgConnection, dir: &std::path::Path) -> anyhow::Result<usize> {
    use anyhow::{bail, Context};
    let mut n = 0;
    let rows = |file: &str, columns: &[&str]| -> anyhow::Result<Vec<Vec<String>>> {
        let text = std::fs::read_to_string(dir.join(file)).with_context(|| format!("while reading {file}"))?;
        let mut lines = text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
        let header: Vec<&str> = lines.next().unwrap_or_default().split(',').map(str::trim).collect();
        if header != columns {
            bail!("{file}: the header must be {}", columns.join(","));
        }
        lines
            .map(|l| {
                let cells: Vec<String> = l.splitn(columns.len(), ',').map(|c| c.trim().to_string()).collect();
                if cells.len() != columns.len() {
                    bail!("{file}: {} cells in {l}", cells.len());
                }
                Ok(cells)
            })
            .collect()
    };
    let file = "change-rules.csv";
    for r in rows(file, &["procedure_code", "change_kind", "result", "deadline_days", "legal_basis"])? {
        if ChangeKind::parse(&r[1]).is_none() || ChangeResult::parse(&r[2]).is_none() {
            bail!("{file}: {}: unknown kind {:?} or result {:?}", r[0], r[1], r[2]);
        }
        match store::restrictions::procedure_outcome(conn, &r[0])? {
            Some(ProcedureOutcome::Change) => {}
            _ => bail!("{file}: procedure {} is not a change procedure in procedures.csv", r[0]),
        }
        let deadline_days = match r[3].as_str() {
            "" => None,
            d => Some(d.parse::<i32>().with_context(|| format!("{file}: {}: deadline_days {d:?}", r[0]))?),
        };
        rights::upsert_change_rule(
            conn,
            &rights::ChangeRuleRow {
                procedure_code: r[0].clone(),
                change_kind: r[1].clone(),
                result: r[2].clone(),
                deadline_days,
                legal_basis: r[4].clone(),
            },
        )?;
        n += 1;
    }
    let file = "issuing-authorities.csv";
    for r in
        rows(file, &["province_code", "procedure_code", "holder_kind", "authority", "registry_prefix", "legal_basis"])?
    {
        if r[2] != "*" && cert::HolderKind::parse(&r[2]).is_none() {
            bail!("{file}: unknown holder kind {:?}", r[2]);
        }
        if !cert::is_registry_prefix(&r[4]) {
            bail!("{file}: registry prefix {:?} is not 2–3 capital letters", r[4]);
        }
        cert_db::upsert_issuing_authority(
            conn,
            &cert_db::AuthorityRow {
                province_code: &r[0],
                procedure_code: &r[1],
                holder_kind: &r[2],
                authority: &r[3],
                registry_prefix: &r[4],
                legal_basis: &r[5],
            },
        )?;
        n += 1;
    }
    Ok(n)
}

/// A change registered on a parcel, as its public history shows it: what, when, under which
/// dossier, which versions and certificates; never who.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryChange {
    pub kind: String,
    /// endorsement or new_certificate.
    pub result: String,
    pub summary: String,
    /// Receipt number of the dossier (hồ sơ số).
    pub dossier: String,
    /// Vietnam date it was registered.
    pub recorded_on: NaiveDate,
    /// The parcel's version before and after (equal when only the right changed).
    pub version_from: i32,
    pub version_to: i32,
    /// The certificate endorsed, or the new one; and the one it replaced.
    pub certificate: String,
    pub replaced: Option<String>,
    /// Last day to register (Land Law 2024 Art. 133(3)) and whether it was missed.
    pub due_on: Option<NaiveDate>,
    pub late: bool,
}

/// The changes registered on a parcel, oldest first, for its public history.
pub(crate) fn history(conn: &mut PgConnection, parcel_id: i64) -> Result<Vec<HistoryChange>, Error> {
    Ok(rights::changes_of_parcel(conn, parcel_id)
        .context_db("loading the changes")?
        .into_iter()
        .map(|c| HistoryChange {
            kind: c.kind,
            result: c.result,
            summary: c.summary,
            dossier: c.receipt_no,
            recorded_on: cert::vietnam_date(c.recorded_at),
            version_from: c.from_version,
            version_to: c.to_version,
            certificate: c.certificate,
            replaced: c.replaced_certificate,
            due_on: c.due_on,
            late: c.late,
        })
        .collect())
}
