//! Who may do what, where: the one authorisation rule.
//!
//! [`MATRIX`] says, once and as data, which roles may take each [`Action`]; [`authorize`] is the
//! one check every use case calls. Jurisdiction follows the land: a write is authorised against
//! the province of each parcel it touches (every parcel of a dossier, the parcel of a
//! certificate), not against the province a dossier or a request names. An admin may do
//! everything everywhere; every other account works in its one province.
//!
//! The README's "Who may do what" section is printed from this table and a test keeps it equal.

use diesel::PgConnection;

use super::{Actor, DbContext, Error, Role};

/// Something a staff member asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    ParcelRegister,
    ParcelChangeGeometry,
    ParcelSplit,
    ParcelMerge,
    ParcelImport,
    DossierReceive,
    DossierRead,
    DossierEvent,
    DossierDecide,
    DossierApologise,
    SubmissionRead,
    SubmissionDecide,
    CheckRun,
    CertificateRead,
    CertificateIssue,
    CertificateRevoke,
    CertificateReplace,
    CertificateTransfer,
    RestrictionRegister,
    RestrictionRelease,
    RestrictionConsent,
    RestrictionRead,
    BlankRegister,
    BlankVoid,
    PlanCreate,
    PlanZones,
    PlanStatus,
    ProcedureEdit,
    AuditVerify,
}

use Action::*;
use Role::{Approver, Officer, Planner};

/// The role × action matrix: the roles allowed each action besides admin (who may do all).
/// An empty list means admin only.
pub const MATRIX: &[(Action, &[Role], &str)] = &[
    (ParcelRegister, &[Officer], "register a parcel (POST /parcels)"),
    (ParcelChangeGeometry, &[Officer], "change a parcel's boundary (PUT /parcels/{id}/geometry)"),
    (ParcelSplit, &[Officer, Approver], "split a parcel; revoking its certificate also needs certificate.revoke"),
    (ParcelMerge, &[Officer, Approver], "merge parcels; revoking their certificates also needs certificate.revoke"),
    (ParcelImport, &[Officer], "import a survey delivery into a commune (POST /imports) and follow its imports"),
    (DossierReceive, &[Officer], "receive a dossier (POST /dossiers) naming parcels of the province"),
    (DossierRead, &[Officer, Approver], "read dossiers with applicants' names (GET /dossiers, /dossiers/{id})"),
    (DossierEvent, &[Officer, Approver], "move a dossier (appraisal, supplements, result, return, withdraw)"),
    (DossierDecide, &[Approver], "approve or reject a dossier"),
    (DossierApologise, &[Officer, Approver], "record an apology for a late dossier"),
    (
        SubmissionRead,
        &[Officer, Approver],
        "read online submissions with applicants' details and file hashes (GET /submissions)",
    ),
    (SubmissionDecide, &[Officer], "accept an online submission as a dossier, or refuse it with the grounds"),
    (CheckRun, &[Officer, Approver], "run a certificate check (restrictions, holders) on a parcel"),
    (CertificateRead, &[Officer, Approver], "read a certificate's full record and printable sheet"),
    (CertificateIssue, &[Approver], "issue a certificate for an approved dossier (incl. transfers)"),
    (CertificateRevoke, &[Approver], "revoke a certificate: directly, or by a split or merge"),
    (CertificateReplace, &[Approver], "replace a certificate (cấp lại, cấp đổi)"),
    (CertificateTransfer, &[Approver], "transfer through a dossier of a transfer procedure (never standalone)"),
    (
        RestrictionRegister,
        &[Approver],
        "register a mortgage, lease, seizure, injunction, hold or dispute through its approved dossier",
    ),
    (RestrictionRelease, &[Approver], "release a restriction through an approved dossier of its release procedure"),
    (RestrictionConsent, &[Officer, Approver], "record a mortgagee's consent to one dossier's procedure"),
    (RestrictionRead, &[Officer, Approver], "read restriction records with their parties and amounts"),
    (BlankRegister, &[], "register a range of certificate blanks"),
    (BlankVoid, &[Approver], "void a spoiled blank"),
    (PlanCreate, &[Planner], "create a land-use plan"),
    (PlanZones, &[Planner], "add zones to a draft plan"),
    (PlanStatus, &[Planner], "approve or supersede a plan"),
    (ProcedureEdit, &[], "edit the procedure catalogue"),
    (AuditVerify, &[], "verify the audit chain"),
];

impl Action {
    /// The action's name, as in the README and in refusals.
    pub const fn as_str(self) -> &'static str {
        match self {
            ParcelRegister => "parcel.register",
            ParcelChangeGeometry => "parcel.change_geometry",
            ParcelSplit => "parcel.split",
            ParcelMerge => "parcel.merge",
            ParcelImport => "parcel.import",
            DossierReceive => "dossier.receive",
            DossierRead => "dossier.read",
            DossierEvent => "dossier.event",
            DossierDecide => "dossier.decide",
            DossierApologise => "dossier.apologise",
            SubmissionRead => "submission.read",
            SubmissionDecide => "submission.decide",
            CheckRun => "check.run",
            CertificateRead => "certificate.read",
            CertificateIssue => "certificate.issue",
            CertificateRevoke => "certificate.revoke",
            CertificateReplace => "certificate.replace",
            CertificateTransfer => "certificate.transfer",
            RestrictionRegister => "restriction.register",
            RestrictionRelease => "restriction.release",
            RestrictionConsent => "restriction.consent",
            RestrictionRead => "restriction.read",
            BlankRegister => "blank.register",
            BlankVoid => "blank.void",
            PlanCreate => "plan.create",
            PlanZones => "plan.zones",
            PlanStatus => "plan.status",
            ProcedureEdit => "procedure.edit",
            AuditVerify => "audit.verify",
        }
    }

    /// The roles allowed, admin excluded (admin may do everything).
    pub fn roles(self) -> &'static [Role] {
        MATRIX.iter().find(|(a, ..)| *a == self).map_or(&[], |(_, roles, _)| roles)
    }
}

/// Whether `role` may take `action` at all (in its own province).
pub fn allows(role: Role, action: Action) -> bool {
    role == Role::Admin || action.roles().contains(&role)
}

fn role_refusal(actor: &Actor, action: Action) -> Error {
    let allowed: Vec<&str> = action.roles().iter().map(|r| r.as_str()).chain(["admin"]).collect();
    Error::Forbidden(format!(
        "{} may not {}: the {} role is not allowed (allowed: {})",
        actor.username,
        action.as_str(),
        actor.role.as_str(),
        allowed.join(", ")
    ))
}

/// The role may take the action somewhere (for reads and lists not tied to one province yet).
pub fn authorize_role(actor: &Actor, action: Action) -> Result<(), Error> {
    if allows(actor.role, action) {
        Ok(())
    } else {
        Err(role_refusal(actor, action))
    }
}

/// The one check: `actor` may take `action` on land (or records) of `province`.
pub fn authorize(actor: &Actor, action: Action, province: &str) -> Result<(), Error> {
    authorize_role(actor, action)?;
    match (&actor.role, &actor.province_code) {
        (Role::Admin, _) => Ok(()),
        (_, Some(own)) if own == province => Ok(()),
        (_, own) => Err(Error::Forbidden(format!(
            "{} may not {} in province {province}: this account works in province {}",
            actor.username,
            action.as_str(),
            own.as_deref().unwrap_or("none")
        ))),
    }
}

/// [`authorize`] against every province in `provinces` (the land a request touches).
pub fn authorize_all<'a>(
    actor: &Actor,
    action: Action,
    provinces: impl IntoIterator<Item = &'a str>,
) -> Result<(), Error> {
    provinces.into_iter().try_for_each(|p| authorize(actor, action, p))
}

/// The parcels a dossier names, with their provinces.
pub fn dossier_land(conn: &mut PgConnection, dossier_id: i64) -> Result<Vec<store::jurisdiction::LandRow>, Error> {
    store::jurisdiction::dossier_land(conn, dossier_id).context_db("loading the dossier's parcels")
}

/// Authorises a write on a dossier: against the dossier's province and the province of each of
/// its parcels. Returns the parcels.
pub fn authorize_dossier(
    conn: &mut PgConnection,
    actor: &Actor,
    action: Action,
    dossier_id: i64,
    dossier_province: &str,
) -> Result<Vec<store::jurisdiction::LandRow>, Error> {
    authorize(actor, action, dossier_province)?;
    let land = dossier_land(conn, dossier_id)?;
    authorize_all(actor, action, land.iter().map(|l| l.province_code.as_str()))?;
    Ok(land)
}

/// Authorises a change to a certificate against the province of its parcel (and of the
/// certificate's office, when they differ).
pub fn authorize_certificate(
    conn: &mut PgConnection,
    actor: &Actor,
    action: Action,
    certificate_province: &str,
    parcel_id: i64,
) -> Result<(), Error> {
    let land = store::jurisdiction::parcel_province(conn, parcel_id)
        .context_db("finding the certificate's parcel")?
        .ok_or_else(|| anyhow::anyhow!("parcel {parcel_id} of a certificate is missing"))?;
    authorize(actor, action, &land)?;
    authorize(actor, action, certificate_province)
}

/// The matrix as the Markdown table the README prints.
pub fn markdown_matrix() -> String {
    let roles = [Role::Officer, Role::Approver, Role::Planner, Role::Admin];
    let mut out = String::from("| action | officer | approver | planner | admin | what |\n|---|---|---|---|---|---|\n");
    for (action, _, what) in MATRIX {
        let cells: Vec<&str> = roles.iter().map(|r| if allows(*r, *action) { "yes" } else { "—" }).collect();
        out.push_str(&format!("| `{}` | {} | {what} |\n", action.as_str(), cells.join(" | ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, province: Option<&str>) -> Actor {
        Actor { user_id: 1, username: "u".into(), role, province_code: province.map(str::to_string) }
    }

    #[test]
    fn every_action_is_in_the_matrix_once() {
        for (i, (a, ..)) in MATRIX.iter().enumerate() {
            assert_eq!(MATRIX.iter().filter(|(b, ..)| b == a).count(), 1, "{} twice", a.as_str());
            assert!(MATRIX[..i].iter().all(|(b, ..)| b.as_str() != a.as_str()));
        }
        assert_eq!(MATRIX.len(), 29);
    }

    #[test]
    fn province_and_role_both_count() {
        let approver = actor(Role::Approver, Some("92"));
        assert!(authorize(&approver, CertificateIssue, "92").is_ok());
        assert!(matches!(authorize(&approver, CertificateIssue, "56"), Err(Error::Forbidden(_))));
        let officer = actor(Role::Officer, Some("92"));
        assert!(matches!(authorize(&officer, CertificateRevoke, "92"), Err(Error::Forbidden(_))));
        assert!(matches!(authorize_role(&actor(Role::Planner, Some("92")), DossierRead), Err(Error::Forbidden(_))));
        let admin = actor(Role::Admin, None);
        assert!(MATRIX.iter().all(|(a, ..)| authorize(&admin, *a, "56").is_ok()));
        assert!(matches!(authorize(&approver, BlankRegister, "92"), Err(Error::Forbidden(_))));
    }

    #[test]
    fn the_readme_prints_the_matrix() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        let begin = "<!-- authz-matrix:begin (generated from src/service/authz.rs) -->\n";
        let end = "<!-- authz-matrix:end -->";
        let start = readme.find(begin).expect("README has the matrix markers") + begin.len();
        let stop = readme[start..].find(end).expect("README has the end marker") + start;
        assert_eq!(
            &readme[start..stop],
            markdown_matrix(),
            "README's matrix differs from service::authz::MATRIX; paste this:\n{}",
            markdown_matrix()
        );
    }
}
