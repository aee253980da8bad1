//! Restrictions and responsibilities on the land (LADM RRR besides the use right): mortgages,
//! seizures, court injunctions, enforcement holds, dispute notices, leases. What a procedure's
//! result does to the register, and which restrictions block which procedures: the blocking
//! table is data (`sample-data/restriction-blocks.csv`), read here, never written as code.

use std::fmt;

/// A kind of restriction or responsibility recorded on a parcel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RestrictionKind {
    /// Thế chấp: a security interest over the use right (Decree 99/2022).
    Mortgage,
    /// Cho thuê quyền sử dụng đất.
    Lease,
    /// Cho thuê lại.
    Sublease,
    /// Kê biên: an enforcement body's seizure of the right.
    Seizure,
    /// Biện pháp khẩn cấp tạm thời: a court's provisional measure (ngăn chặn).
    Injunction,
    /// Tạm dừng đăng ký, chuyển dịch: an enforcement body's temporary stop (Law 26/2008 Art. 69).
    EnforcementHold,
    /// Tranh chấp: a dispute accepted by a court or an authority.
    Dispute,
    /// Any other restriction recorded before kinds were distinguished.
    Other,
}

impl RestrictionKind {
    pub const ALL: [RestrictionKind; 8] = [
        RestrictionKind::Mortgage,
        RestrictionKind::Lease,
        RestrictionKind::Sublease,
        RestrictionKind::Seizure,
        RestrictionKind::Injunction,
        RestrictionKind::EnforcementHold,
        RestrictionKind::Dispute,
        RestrictionKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RestrictionKind::Mortgage => "mortgage",
            RestrictionKind::Lease => "lease",
            RestrictionKind::Sublease => "sublease",
            RestrictionKind::Seizure => "seizure",
            RestrictionKind::Injunction => "injunction",
            RestrictionKind::EnforcementHold => "enforcement_hold",
            RestrictionKind::Dispute => "dispute",
            RestrictionKind::Other => "restriction",
        }
    }

    pub fn parse(s: &str) -> Option<RestrictionKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kinds a register/release procedure may name (not the legacy catch-all).
    pub fn registrable(self) -> bool {
        self != RestrictionKind::Other
    }

    /// How the register and the certificate name it.
    pub fn label_vi(self) -> &'static str {
        match self {
            RestrictionKind::Mortgage => "thế chấp quyền sử dụng đất",
            RestrictionKind::Lease => "cho thuê quyền sử dụng đất",
            RestrictionKind::Sublease => "cho thuê lại quyền sử dụng đất",
            RestrictionKind::Seizure => "kê biên quyền sử dụng đất",
            RestrictionKind::Injunction => "biện pháp khẩn cấp tạm thời",
            RestrictionKind::EnforcementHold => "tạm dừng đăng ký, chuyển dịch",
            RestrictionKind::Dispute => "tranh chấp đất đai",
            RestrictionKind::Other => "hạn chế quyền",
        }
    }

    /// Whether the public may learn that one exists (never its parties or figures): a
    /// mortgage and any binding restriction are shown as yes/no on the public parcel view.
    pub fn restricts(self) -> bool {
        !matches!(self, RestrictionKind::Lease | RestrictionKind::Sublease)
    }

    /// Entered on the certificate as an endorsement (Decree 99/2022 Art. 35(1) for mortgages;
    /// leases are registered changes too). Seizures, holds and disputes stay in the register.
    pub fn endorsed_on_certificate(self) -> bool {
        matches!(self, RestrictionKind::Mortgage | RestrictionKind::Lease | RestrictionKind::Sublease)
    }
}

impl TryFrom<String> for RestrictionKind {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        RestrictionKind::parse(&s).ok_or_else(|| format!("unknown restriction kind '{s}'"))
    }
}

impl fmt::Display for RestrictionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a procedure's result does to the register (the catalogue's `outcome` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcedureOutcome {
    /// A first use right and its certificate.
    FirstRegistration,
    /// New holders take over the right; the old certificate is superseded.
    Transfer,
    /// Tách / hợp thửa: a certificate for each new parcel.
    SplitMerge,
    /// Cấp lại / cấp đổi.
    Reissue,
    /// Đính chính.
    Correction,
    /// A change after issuance, endorsed or with a new certificate.
    Change,
    /// Providing information: nothing changes.
    Information,
    RegisterRestriction(RestrictionKind),
    ReleaseRestriction(RestrictionKind),
}

impl ProcedureOutcome {
    /// From the catalogue's two columns (`outcome`, `restriction_kind`).
    pub fn from_columns(outcome: &str, kind: Option<&str>) -> Option<ProcedureOutcome> {
        let kind = kind.map(RestrictionKind::parse);
        Some(match (outcome, kind) {
            ("first_registration", None) => ProcedureOutcome::FirstRegistration,
            ("transfer", None) => ProcedureOutcome::Transfer,
            ("split_merge", None) => ProcedureOutcome::SplitMerge,
            ("reissue", None) => ProcedureOutcome::Reissue,
            ("correction", None) => ProcedureOutcome::Correction,
            ("change", None) => ProcedureOutcome::Change,
            ("information", None) => ProcedureOutcome::Information,
            ("register_restriction", Some(Some(k))) if k.registrable() => ProcedureOutcome::RegisterRestriction(k),
            ("release_restriction", Some(Some(k))) if k.registrable() => ProcedureOutcome::ReleaseRestriction(k),
            _ => return None,
        })
    }

    /// The catalogue file's single-column form: `transfer`, `register:mortgage`…
    pub fn parse(text: &str) -> Option<ProcedureOutcome> {
        match text.split_once(':') {
            Some(("register", k)) => Self::from_columns("register_restriction", Some(k)),
            Some(("release", k)) => Self::from_columns("release_restriction", Some(k)),
            Some(_) => None,
            None => Self::from_columns(text, None),
        }
    }

    /// The catalogue's columns (`outcome`, `restriction_kind`).
    pub fn columns(self) -> (&'static str, Option<&'static str>) {
        match self {
            ProcedureOutcome::FirstRegistration => ("first_registration", None),
            ProcedureOutcome::Transfer => ("transfer", None),
            ProcedureOutcome::SplitMerge => ("split_merge", None),
            ProcedureOutcome::Reissue => ("reissue", None),
            ProcedureOutcome::Correction => ("correction", None),
            ProcedureOutcome::Change => ("change", None),
            ProcedureOutcome::Information => ("information", None),
            ProcedureOutcome::RegisterRestriction(k) => ("register_restriction", Some(k.as_str())),
            ProcedureOutcome::ReleaseRestriction(k) => ("release_restriction", Some(k.as_str())),
        }
    }

    /// The single-column form, inverse of [`ProcedureOutcome::parse`].
    pub fn as_text(self) -> String {
        match self {
            ProcedureOutcome::RegisterRestriction(k) => format!("register:{k}"),
            ProcedureOutcome::ReleaseRestriction(k) => format!("release:{k}"),
            other => other.columns().0.to_string(),
        }
    }
}

/// What a restriction does to a procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Blocks,
    /// Blocks unless the restriction's right-holder (the mortgagee) consents for the dossier.
    BlocksUnlessConsent,
    /// An exception to a row for every procedure (`*`).
    Allowed,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Blocks => "blocks",
            Effect::BlocksUnlessConsent => "blocks_unless_consent",
            Effect::Allowed => "allowed",
        }
    }

    pub fn parse(s: &str) -> Option<Effect> {
        [Effect::Blocks, Effect::BlocksUnlessConsent, Effect::Allowed].into_iter().find(|e| e.as_str() == s)
    }
}

/// One row of the blocking table.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockingRule {
    pub kind: RestrictionKind,
    /// A procedure code, or `None` for every procedure (`*` in the file).
    pub procedure: Option<String>,
    pub effect: Effect,
    pub legal_basis: String,
}

/// The blocking table: the most specific row for (kind, procedure) decides.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlockingTable {
    pub rules: Vec<BlockingRule>,
}

/// A line of the blocking table's file that cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct TableError {
    pub line: usize,
    pub message: String,
}

impl BlockingTable {
    pub const FILE: &'static str = "restriction-blocks.csv";

    /// Parses `restriction_kind,procedure_code,effect,legal_basis` lines (the legal basis may
    /// hold commas); `#` lines are comments. Duplicate (kind, procedure) rows are refused.
    pub fn parse_csv(text: &str) -> Result<BlockingTable, TableError> {
        let mut rules: Vec<BlockingRule> = Vec::new();
        for (i, line) in text.lines().enumerate().skip(1) {
            let line_no = i + 1;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |message: String| TableError { line: line_no, message };
            let f: Vec<&str> = line.splitn(4, ',').map(str::trim).collect();
            let [kind, procedure, effect, basis] = f.as_slice() else {
                return Err(err("expected restriction_kind,procedure_code,effect,legal_basis".into()));
            };
            let kind = RestrictionKind::parse(kind).ok_or_else(|| err(format!("unknown restriction kind '{kind}'")))?;
            let procedure = match *procedure {
                "*" => None,
                code if is_procedure_code(code) => Some(code.to_string()),
                other => return Err(err(format!("'{other}' is neither * nor a procedure code like 1.012783"))),
            };
            let effect = Effect::parse(effect)
                .ok_or_else(|| err(format!("effect '{effect}' is not blocks, blocks_unless_consent or allowed")))?;
            let legal_basis = basis.trim_matches('"').trim().to_string();
            if legal_basis.is_empty() {
                return Err(err("every row names its legal basis".into()));
            }
            if rules.iter().any(|r| r.kind == kind && r.procedure == procedure) {
                return Err(err(format!("a second row for {kind} and {}", procedure.as_deref().unwrap_or("*"))));
            }
            rules.push(BlockingRule { kind, procedure, effect, legal_basis });
        }
        Ok(BlockingTable { rules })
    }

    /// The row that decides for `kind` and `procedure_code`: the procedure's own, else `*`.
    pub fn rule(&self, kind: RestrictionKind, procedure_code: &str) -> Option<&BlockingRule> {
        self.rules
            .iter()
            .find(|r| r.kind == kind && r.procedure.as_deref() == Some(procedure_code))
            .or_else(|| self.rules.iter().find(|r| r.kind == kind && r.procedure.is_none()))
    }

    /// Whether the table's row for every procedure (`*`) says `kind` blocks: what a check made
    /// without a dossier (so without a procedure) reports as blocking.
    pub fn blocks_every_procedure(&self, kind: RestrictionKind) -> bool {
        self.rules.iter().any(|r| r.kind == kind && r.procedure.is_none() && r.effect == Effect::Blocks)
    }

    /// The restrictions in force that stop `procedure_code`, each with the row that says so.
    /// A release of a restriction is never blocked by that same restriction.
    pub fn blockers<'a>(
        &'a self,
        procedure_code: &str,
        releases: Option<i64>,
        recorded: &'a [RecordedRestriction],
    ) -> Vec<Blocker<'a>> {
        recorded
            .iter()
            .filter(|r| Some(r.id) != releases)
            .filter_map(|r| {
                let rule = self.rule(r.kind, procedure_code)?;
                match rule.effect {
                    Effect::Blocks => Some(Blocker { restriction: r, rule }),
                    Effect::BlocksUnlessConsent if !r.consented => Some(Blocker { restriction: r, rule }),
                    Effect::BlocksUnlessConsent | Effect::Allowed => None,
                }
            })
            .collect()
    }
}

/// `1.012783`: a digit, a dot, six digits.
pub fn is_procedure_code(code: &str) -> bool {
    code.len() == 8 && code.as_bytes()[1] == b'.' && code.bytes().enumerate().all(|(i, b)| i == 1 || b.is_ascii_digit())
}

/// A restriction in force on a parcel, as the blocking rules read it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRestriction {
    pub id: i64,
    pub kind: RestrictionKind,
    /// The contract or decision number, or the source document.
    pub reference: String,
    pub legal_basis: Option<String>,
    /// Its right-holder consented to the dossier at hand.
    pub consented: bool,
}

/// A restriction that stops a procedure, and the blocking table's row that says so.
#[derive(Debug, Clone, PartialEq)]
pub struct Blocker<'a> {
    pub restriction: &'a RecordedRestriction,
    pub rule: &'a BlockingRule,
}

impl Blocker<'_> {
    /// "mortgage #12 (HĐTC 45/2026): blocks 1.013831 unless the mortgagee consents — Bộ luật Dân sự …".
    pub fn describe(&self) -> String {
        let r = self.restriction;
        let unless =
            if self.rule.effect == Effect::BlocksUnlessConsent { " unless its right-holder consents" } else { "" };
        format!("{} #{} ({}){unless}: {}", r.kind, r.id, r.reference, self.rule.legal_basis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "restriction_kind,procedure_code,effect,legal_basis\n\
        # comment\n\
        seizure,*,blocks,Luật Đất đai 2024 Điều 45(1)(c)\n\
        seizure,9.000004,allowed,lifting the seizure\n\
        mortgage,1.013831,blocks_unless_consent,Bộ luật Dân sự 2015 Điều 320(8), 321(5)\n\
        dispute,1.012753,blocks,Luật Đất đai 2024 Điều 45(1)(b)\n";

    fn recorded(id: i64, kind: RestrictionKind, consented: bool) -> RecordedRestriction {
        RecordedRestriction { id, kind, reference: format!("ref {id}"), legal_basis: None, consented }
    }

    #[test]
    fn the_most_specific_row_decides() {
        let t = BlockingTable::parse_csv(TABLE).unwrap();
        assert_eq!(t.rules.len(), 4);
        assert_eq!(t.rules[2].legal_basis, "Bộ luật Dân sự 2015 Điều 320(8), 321(5)");
        assert_eq!(t.rule(RestrictionKind::Seizure, "1.013831").unwrap().effect, Effect::Blocks);
        assert_eq!(t.rule(RestrictionKind::Seizure, "9.000004").unwrap().effect, Effect::Allowed);
        assert!(t.rule(RestrictionKind::Lease, "1.013831").is_none());
        assert!(t.blocks_every_procedure(RestrictionKind::Seizure));
        assert!(!t.blocks_every_procedure(RestrictionKind::Mortgage));
    }

    #[test]
    fn a_mortgage_blocks_a_transfer_until_the_mortgagee_consents() {
        let t = BlockingTable::parse_csv(TABLE).unwrap();
        let without = [recorded(7, RestrictionKind::Mortgage, false)];
        let blockers = t.blockers("1.013831", None, &without);
        assert_eq!(blockers.len(), 1);
        assert!(blockers[0].describe().starts_with("mortgage #7 (ref 7) unless"), "{}", blockers[0].describe());
        let with = [recorded(7, RestrictionKind::Mortgage, true)];
        assert!(t.blockers("1.013831", None, &with).is_empty());
        assert!(t.blockers("1.012784", None, &without).is_empty(), "a mortgage follows a split, it does not stop it");
    }

    #[test]
    fn a_seizure_blocks_everything_but_its_own_lifting() {
        let t = BlockingTable::parse_csv(TABLE).unwrap();
        let seized = [recorded(3, RestrictionKind::Seizure, true)];
        for code in ["1.012753", "1.013831", "1.012784", "9.000001"] {
            assert_eq!(t.blockers(code, None, &seized).len(), 1, "{code}");
        }
        assert!(t.blockers("9.000004", None, &seized).is_empty());
        // Releasing a record is never blocked by that same record.
        assert!(t.blockers("1.013831", Some(3), &seized).is_empty());
    }

    #[test]
    fn bad_rows_are_refused_with_their_line() {
        for (text, line) in [
            ("h\nlien,*,blocks,x\n", 2),
            ("h\nseizure,1.2,blocks,x\n", 2),
            ("h\nseizure,*,stops,x\n", 2),
            ("h\nseizure,*,blocks,\n", 2),
            ("h\nseizure,*,blocks,a\nseizure,*,allowed,b\n", 3),
        ] {
            assert_eq!(BlockingTable::parse_csv(text).unwrap_err().line, line, "{text}");
        }
    }

    #[test]
    fn outcomes_round_trip_through_both_forms() {
        for text in ["first_registration", "transfer", "split_merge", "register:mortgage", "release:seizure"] {
            let o = ProcedureOutcome::parse(text).unwrap();
            assert_eq!(o.as_text(), text);
            let (a, b) = o.columns();
            assert_eq!(ProcedureOutcome::from_columns(a, b), Some(o));
        }
        assert_eq!(ProcedureOutcome::parse("register:restriction"), None);
        assert_eq!(ProcedureOutcome::parse("register"), None);
        assert_eq!(ProcedureOutcome::parse("transfer:mortgage"), None);
        assert_eq!(ProcedureOutcome::from_columns("transfer", Some("mortgage")), None);
    }
}
