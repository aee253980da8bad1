//! R7 — the legal rules, one result per sub-check: R7.1 `no_conflicting_certificate`, R7.2
//! `no_blocking_restriction_or_dispute`, R7.3 `shares_sum_to_one`, R7.4 `split_parts_above_minimum`.

use geo_types::MultiPolygon;
use serde::Deserialize;
use serde_json::json;

use super::{capitalise, round4, MinSplitAreaTable, Outcome, RuleResult};
use crate::certificate::SHARE_TOLERANCE;
use crate::geometry::planar_area;

/// The legal facts of a request, loaded by the service (no geometry).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalFacts {
    /// Serial (số phát hành) of the certificate the procedure replaces (cấp đổi, cấp lại,
    /// đăng ký biến động with a new certificate), if it replaces one.
    #[serde(default)]
    pub replaces_serial: Option<String>,
    /// Certificates on file for the same right on this parcel.
    #[serde(default)]
    pub existing_certificates: Vec<ExistingCertificate>,
    /// Hạn chế — restrictions registered on the right (mortgage, court order, seizure…).
    #[serde(default)]
    pub restrictions: Vec<Restriction>,
    /// Tranh chấp — land disputes on file for the parcel.
    #[serde(default)]
    pub disputes: Vec<Dispute>,
    /// Người sử dụng đất — the holders named on the new certificate and their shares.
    pub holders: Vec<Holder>,
}

/// A Giấy chứng nhận already issued for the same right.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExistingCertificate {
    pub serial: String,
    /// Still in force (not cancelled, revoked or replaced).
    pub valid: bool,
}

/// A restriction on the right; whether it blocks this procedure is decided by the blocking
/// table (`restriction::BlockingTable`), read by the service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restriction {
    pub kind: String,
    pub reference: String,
    pub blocking: bool,
    /// The record's id in the register, so the report can name it.
    #[serde(default)]
    pub id: Option<i64>,
    /// Why it blocks (the blocking table's row) or, when it does not, the record's own basis.
    #[serde(default)]
    pub legal_basis: Option<String>,
}

impl Restriction {
    /// "mortgage #12 HĐTC-45/2026 (Bộ luật Dân sự …)".
    fn describe(&self) -> String {
        let id = self.id.map(|i| format!(" #{i}")).unwrap_or_default();
        let basis = self.legal_basis.as_deref().map(|b| format!(" ({b})")).unwrap_or_default();
        format!("{}{id} {}{basis}", self.kind, self.reference)
    }
}

/// A land dispute (tranh chấp đất đai) on file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dispute {
    pub reference: String,
    pub resolved: bool,
}

/// A holder (người sử dụng đất / đồng sở hữu) and their share, a fraction of 1.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holder {
    pub party: String,
    pub share: f64,
}

/// R7.1–R7.3 on the legal facts, in that order.
pub fn legal_checks(facts: &LegalFacts) -> Vec<RuleResult> {
    vec![
        no_conflicting_certificate(facts),
        no_blocking_restriction_or_dispute(facts),
        shares_sum_to_one(&facts.holders),
    ]
}

/// R7.1 — no valid certificate already covers the same right, unless the procedure replaces
/// exactly that one.
pub fn no_conflicting_certificate(facts: &LegalFacts) -> RuleResult {
    const NAME: &str = "no_conflicting_certificate";
    let valid: Vec<&ExistingCertificate> = facts.existing_certificates.iter().filter(|c| c.valid).collect();
    let conflicting: Vec<&str> = valid
        .iter()
        .filter(|c| facts.replaces_serial.as_deref() != Some(c.serial.as_str()))
        .map(|c| c.serial.as_str())
        .collect();
    let replaced = facts.replaces_serial.as_deref().filter(|s| valid.iter().any(|c| c.serial == *s));
    let details = json!({"conflicting": conflicting, "replaced": replaced});
    if !conflicting.is_empty() {
        return RuleResult::new(
            "R7.1",
            NAME,
            Outcome::Fail,
            format!(
                "A valid certificate already covers this right: {} (the procedure does not replace it)",
                conflicting.join(", ")
            ),
        )
        .details(details);
    }
    let message = match replaced {
        Some(serial) => format!("Certificate {serial} is replaced by this procedure"),
        None => "No valid certificate covers this right".to_string(),
    };
    RuleResult::new("R7.1", NAME, Outcome::Pass, message).details(details)
}

/// R7.2 — no blocking restriction and no unresolved dispute. Non-blocking restrictions
/// (e.g. a registered mortgage the procedure carries over) are listed, not refused.
pub fn no_blocking_restriction_or_dispute(facts: &LegalFacts) -> RuleResult {
    const NAME: &str = "no_blocking_restriction_or_dispute";
    let blocking: Vec<String> = facts.restrictions.iter().filter(|r| r.blocking).map(Restriction::describe).collect();
    let disputes: Vec<&str> = facts.disputes.iter().filter(|d| !d.resolved).map(|d| d.reference.as_str()).collect();
    let carried: Vec<String> = facts.restrictions.iter().filter(|r| !r.blocking).map(Restriction::describe).collect();
    let records = |blocks: bool| -> Vec<serde_json::Value> {
        facts
            .restrictions
            .iter()
            .filter(|r| r.blocking == blocks)
            .map(|r| json!({"id": r.id, "kind": r.kind, "reference": r.reference, "legal_basis": r.legal_basis}))
            .collect()
    };
    let details = json!({
        "blocking": blocking, "disputes": disputes, "non_blocking": carried,
        "blocking_records": records(true), "non_blocking_records": records(false),
    });
    let mut reasons = Vec::new();
    if !blocking.is_empty() {
        reasons.push(format!("blocking restriction {}", blocking.join(", ")));
    }
    if !disputes.is_empty() {
        reasons.push(format!("unresolved dispute {}", disputes.join(", ")));
    }
    if !reasons.is_empty() {
        return RuleResult::new("R7.2", NAME, Outcome::Fail, capitalise(&reasons.join("; "))).details(details);
    }
    let message = if carried.is_empty() {
        "No restriction or dispute".to_string()
    } else {
        format!("No blocking restriction or dispute; carried over: {}", carried.join(", "))
    };
    RuleResult::new("R7.2", NAME, Outcome::Pass, message).details(details)
}

/// R7.3 — the holders' shares are each in (0, 1] and sum to 1 within
/// `certificate::SHARE_TOLERANCE`, compared exactly as `certificate::check_holders` does so
/// the check and the issuance never disagree (shares are stored to 8 decimals: three holders
/// of 0.33333333 pass). No holder → Fail.
pub fn shares_sum_to_one(holders: &[Holder]) -> RuleResult {
    const NAME: &str = "shares_sum_to_one";
    let sum: f64 = holders.iter().map(|h| h.share).sum();
    let bad: Vec<&str> =
        holders.iter().filter(|h| !(h.share > 0.0 && h.share <= 1.0)).map(|h| h.party.as_str()).collect();
    let off = (sum - 1.0).abs();
    let (outcome, message) = if holders.is_empty() {
        (Outcome::Fail, "No holder is named".to_string())
    } else if !bad.is_empty() {
        (Outcome::Fail, format!("Shares must be above 0 and at most 1: {}", bad.join(", ")))
    } else if off > SHARE_TOLERANCE {
        (Outcome::Fail, format!("The {} holders' shares sum to {sum:.6}, not 1", holders.len()))
    } else if holders.len() == 1 {
        (Outcome::Pass, "The sole holder's share is 1".to_string())
    } else {
        (Outcome::Pass, format!("The {} co-holders' shares sum to 1", holders.len()))
    };
    RuleResult::new("R7.3", NAME, outcome, message)
        .measure(sum, Some(1.0), "ratio")
        .source(format!("certificate::SHARE_TOLERANCE {SHARE_TOLERANCE} (shares sum to 1: SOLA business rule)"))
        .details(json!({"sum": sum, "holders": holders.len()}))
}

/// Tách thửa — a split request: the resulting parts.
#[derive(Debug, Clone)]
pub struct SplitRequest {
    /// Province whose minimum-area decision applies (two-digit code).
    pub province_code: String,
    pub parts: Vec<SplitPart>,
}

/// One parcel resulting from a split.
#[derive(Debug, Clone)]
pub struct SplitPart {
    /// The part's label on the split plan (e.g. "A").
    pub id: String,
    /// Land-use code of the part (mã loại đất).
    pub land_category: String,
    /// In the same VN-2000 plane as the request.
    pub geometry: MultiPolygon<f64>,
    /// Frontage on the road (mặt tiền), metres, when the surveyor measured it.
    pub frontage_m: Option<f64>,
}

/// R7.4 — every part of a split reaches the province's minimum area (and frontage, where the
/// decision sets one) from `table`. A part below → Fail. No row for the province and land
/// category, or a frontage minimum with no frontage measured → Warn. `threshold_source`
/// quotes the rows' sources (placeholders say so).
pub fn split_parts_above_minimum(split: &SplitRequest, table: &MinSplitAreaTable) -> RuleResult {
    const NAME: &str = "split_parts_above_minimum";
    let (mut failures, mut warnings, mut rows, mut sources) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::<String>::new());
    let mut tightest: Option<(f64, f64)> = None; // (area, minimum) of the part nearest its minimum
    for part in &split.parts {
        let area = planar_area(&part.geometry);
        let Some(row) = table.lookup(&split.province_code, &part.land_category) else {
            let missing = format!(
                "no minimum for province {} and {} in {}",
                split.province_code,
                part.land_category,
                MinSplitAreaTable::NAME
            );
            if !warnings.contains(&missing) {
                warnings.push(missing);
            }
            rows.push(json!({"part": part.id, "area_m2": round4(area), "min_area_m2": null}));
            continue;
        };
        if !sources.contains(&row.source) {
            sources.push(row.source.clone());
        }
        if tightest.is_none_or(|(a, m)| area / row.min_area_m2 < a / m) {
            tightest = Some((area, row.min_area_m2));
        }
        if area < row.min_area_m2 {
            failures.push(format!("part {} has {area:.1} m² < {} m²", part.id, row.min_area_m2));
        }
        match (row.min_frontage_m, part.frontage_m) {
            (Some(min), Some(f)) if f < min => {
                failures.push(format!("part {} has {f:.2} m frontage < {min} m", part.id))
            }
            (Some(min), None) => warnings.push(format!("frontage of part {} not measured (minimum {min} m)", part.id)),
            _ => {}
        }
        rows.push(json!({
            "part": part.id, "land_category": part.land_category, "area_m2": round4(area),
            "min_area_m2": row.min_area_m2, "frontage_m": part.frontage_m, "min_frontage_m": row.min_frontage_m,
        }));
    }
    let (outcome, message) = if !failures.is_empty() {
        (Outcome::Fail, format!("Below the province's minimum for a split: {}", failures.join("; ")))
    } else if !warnings.is_empty() {
        (Outcome::Warn, capitalise(&warnings.join("; ")))
    } else {
        (Outcome::Pass, format!("All {} parts reach the province's minimum", split.parts.len()))
    };
    let mut result = RuleResult::new("R7.4", NAME, outcome, message)
        .details(json!({"province_code": split.province_code, "parts": rows}));
    if let Some((area, min)) = tightest {
        result = result.measure(area, Some(min), "m2");
    }
    if !sources.is_empty() {
        result = result.source(format!(
            "{} province {}: {}",
            MinSplitAreaTable::NAME,
            split.province_code,
            sources.join(" | ")
        ));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::{rect, split_table};

    fn holders(shares: &[f64]) -> Vec<Holder> {
        shares.iter().enumerate().map(|(i, s)| Holder { party: format!("h{i}"), share: *s }).collect()
    }

    #[test]
    fn r7_table() {
        let cert = |serial: &str, valid| ExistingCertificate { serial: serial.into(), valid };
        let facts = |certs: Vec<ExistingCertificate>, replaces: Option<&str>| LegalFacts {
            replaces_serial: replaces.map(String::from),
            existing_certificates: certs,
            holders: holders(&[1.0]),
            ..LegalFacts::default()
        };
        let certificate_cases = [
            ("none", facts(vec![], None), Outcome::Pass),
            ("cancelled only", facts(vec![cert("AB 1", false)], None), Outcome::Pass),
            ("valid", facts(vec![cert("AB 1", true)], None), Outcome::Fail),
            ("valid, replaced", facts(vec![cert("AB 1", true)], Some("AB 1")), Outcome::Pass),
            (
                "two valid, one replaced",
                facts(vec![cert("AB 1", true), cert("AB 2", true)], Some("AB 1")),
                Outcome::Fail,
            ),
        ];
        for (name, f, outcome) in certificate_cases {
            assert_eq!(no_conflicting_certificate(&f).outcome, outcome, "{name}");
        }

        let restriction = |blocking| Restriction {
            kind: "mortgage".into(),
            reference: "M1".into(),
            blocking,
            id: None,
            legal_basis: None,
        };
        let dispute = |resolved| Dispute { reference: "D1".into(), resolved };
        let with = |restrictions, disputes| LegalFacts {
            restrictions,
            disputes,
            holders: holders(&[1.0]),
            ..LegalFacts::default()
        };
        let restriction_cases = [
            ("clean", with(vec![], vec![]), Outcome::Pass),
            ("non-blocking", with(vec![restriction(false)], vec![]), Outcome::Pass),
            ("blocking", with(vec![restriction(true)], vec![]), Outcome::Fail),
            ("resolved dispute", with(vec![], vec![dispute(true)]), Outcome::Pass),
            ("open dispute", with(vec![], vec![dispute(false)]), Outcome::Fail),
        ];
        for (name, f, outcome) in restriction_cases {
            assert_eq!(no_blocking_restriction_or_dispute(&f).outcome, outcome, "{name}");
        }

        let share_cases: [(&str, &[f64], Outcome); 9] = [
            ("sole holder", &[1.0], Outcome::Pass),
            ("halves", &[0.5, 0.5], Outcome::Pass),
            ("thirds to 8 places, as stored", &[0.33333333, 0.33333333, 0.33333334], Outcome::Pass),
            ("thirds to 8 places, short by 1e-8", &[0.33333333, 0.33333333, 0.33333333], Outcome::Pass),
            ("thirds to 4 places", &[0.3333, 0.3333, 0.3333], Outcome::Fail),
            ("0.9", &[0.5, 0.4], Outcome::Fail),
            ("1.1", &[0.6, 0.5], Outcome::Fail),
            ("negative", &[1.5, -0.5], Outcome::Fail),
            ("nobody", &[], Outcome::Fail),
        ];
        for (name, shares, outcome) in share_cases {
            assert_eq!(shares_sum_to_one(&holders(shares)).outcome, outcome, "{name}");
        }
        assert_eq!(legal_checks(&LegalFacts { holders: holders(&[1.0]), ..LegalFacts::default() }).len(), 3);
    }

    #[test]
    fn r7_split_minimum_table() {
        let table = split_table();
        let part = |id: &str, cat: &str, g: MultiPolygon<f64>, frontage: Option<f64>| SplitPart {
            id: id.into(),
            land_category: cat.into(),
            geometry: g,
            frontage_m: frontage,
        };
        let split = |province: &str, parts| SplitRequest { province_code: province.into(), parts };
        let cases = [
            (
                "both 100 m²",
                split(
                    "92",
                    vec![
                        part("A", "ODT", rect(0., 0., 5., 20.), Some(5.)),
                        part("B", "ODT", rect(5., 0., 10., 20.), Some(5.)),
                    ],
                ),
                Outcome::Pass,
            ),
            (
                "30 m² part",
                split(
                    "92",
                    vec![
                        part("A", "ODT", rect(0., 0., 10., 3.), Some(10.)),
                        part("B", "ODT", rect(0., 3., 10., 20.), Some(10.)),
                    ],
                ),
                Outcome::Fail,
            ),
            (
                "narrow frontage",
                split(
                    "92",
                    vec![
                        part("A", "ODT", rect(0., 0., 3., 20.), Some(3.)),
                        part("B", "ODT", rect(3., 0., 10., 20.), Some(7.)),
                    ],
                ),
                Outcome::Fail,
            ),
            (
                "frontage not measured",
                split(
                    "92",
                    vec![
                        part("A", "ODT", rect(0., 0., 5., 20.), None),
                        part("B", "ODT", rect(5., 0., 10., 20.), Some(5.)),
                    ],
                ),
                Outcome::Warn,
            ),
            (
                "ONT minimum is higher",
                split(
                    "92",
                    vec![
                        part("A", "ONT", rect(0., 0., 5., 14.), Some(5.)),
                        part("B", "ONT", rect(5., 0., 10., 20.), Some(5.)),
                    ],
                ),
                Outcome::Fail,
            ),
            (
                "no row for the province",
                split(
                    "01",
                    vec![
                        part("A", "ODT", rect(0., 0., 5., 20.), Some(5.)),
                        part("B", "ODT", rect(5., 0., 10., 20.), Some(5.)),
                    ],
                ),
                Outcome::Warn,
            ),
        ];
        for (name, s, outcome) in cases {
            let r = split_parts_above_minimum(&s, &table);
            assert_eq!(r.outcome, outcome, "{name}: {}", r.message);
        }
        let r =
            split_parts_above_minimum(&split("92", vec![part("A", "ODT", rect(0., 0., 10., 3.), Some(10.))]), &table);
        assert!(r.threshold_source.unwrap().contains("[U] placeholder"));
        assert_eq!((r.measured, r.threshold), (Some(30.0), Some(40.0)));
    }
}
