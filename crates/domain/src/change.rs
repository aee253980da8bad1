//! Đăng ký biến động: changes registered after a certificate was issued — a land-use purpose
//! changed, a holder's name, ID or address changed, a term extended, a boundary corrected after
//! a re-survey, an inheritance, a co-owner's share transferred, a joint right divided.
//!
//! What each change does to the holders (shares stay summing to 1, the others untouched), the
//! text entered on the certificate (Circular 10/2024 Art. 41: "… từ … thành … theo hồ sơ số
//! …"), whether the result is an endorsement or a new certificate (data per procedure, Decree
//! 101/2024 Art. 23, decided here with the holder's request) and the 30-day registration
//! deadline of Land Law 2024 Art. 133(3). No clock: dates are handed in.

use chrono::{Days, NaiveDate};

use crate::certificate::{check_holders, Holder, InputError};

fn input_error(pointer: impl Into<String>, message: impl Into<String>) -> InputError {
    InputError { pointer: pointer.into(), message: message.into() }
}

/// A kind of change after issuance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// Chuyển mục đích sử dụng đất.
    Purpose,
    /// Thay đổi họ tên, giấy tờ nhân thân, địa chỉ của người sử dụng đất.
    HolderDetails,
    /// Gia hạn sử dụng đất.
    Term,
    /// Ranh giới, diện tích thay đổi sau đo đạc lại (remapping).
    Boundary,
    /// Thừa kế quyền sử dụng đất.
    Inheritance,
    /// Chuyển nhượng phần quyền của một người sử dụng chung.
    ShareTransfer,
    /// Phân chia quyền sử dụng chung (vợ chồng, hộ gia đình, nhóm người) thành phần quyền.
    Division,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 7] = [
        ChangeKind::Purpose,
        ChangeKind::HolderDetails,
        ChangeKind::Term,
        ChangeKind::Boundary,
        ChangeKind::Inheritance,
        ChangeKind::ShareTransfer,
        ChangeKind::Division,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Purpose => "purpose",
            ChangeKind::HolderDetails => "holder_details",
            ChangeKind::Term => "term",
            ChangeKind::Boundary => "boundary",
            ChangeKind::Inheritance => "inheritance",
            ChangeKind::ShareTransfer => "share_transfer",
            ChangeKind::Division => "division",
        }
    }

    pub fn parse(text: &str) -> Option<ChangeKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// How the register names it (no personal data: shown publicly in the history).
    pub fn label_vi(self) -> &'static str {
        match self {
            ChangeKind::Purpose => "chuyển mục đích sử dụng đất",
            ChangeKind::HolderDetails => "thay đổi thông tin người sử dụng đất",
            ChangeKind::Term => "gia hạn sử dụng đất",
            ChangeKind::Boundary => "thay đổi ranh giới, diện tích sau đo đạc lại",
            ChangeKind::Inheritance => "thừa kế quyền sử dụng đất",
            ChangeKind::ShareTransfer => "chuyển nhượng phần quyền sử dụng chung",
            ChangeKind::Division => "phân chia quyền sử dụng chung",
        }
    }

    /// Whether the change replaces who holds the right (the holders' list changes).
    pub fn changes_holders(self) -> bool {
        matches!(
            self,
            ChangeKind::HolderDetails | ChangeKind::Inheritance | ChangeKind::ShareTransfer | ChangeKind::Division
        )
    }
}

/// What the registration of a change produces on paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeResult {
    /// Xác nhận thay đổi on the existing certificate (Circular 10/2024 Art. 41).
    Endorsement,
    /// A new certificate replacing the existing one (Decree 101/2024 Art. 23).
    NewCertificate,
}

impl ChangeResult {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeResult::Endorsement => "endorsement",
            ChangeResult::NewCertificate => "new_certificate",
        }
    }

    pub fn parse(text: &str) -> Option<ChangeResult> {
        match text {
            "endorsement" => Some(ChangeResult::Endorsement),
            "new_certificate" => Some(ChangeResult::NewCertificate),
            _ => None,
        }
    }
}

/// How a procedure registers one kind of change (a row of `sample-data/change-rules.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRule {
    pub result: ChangeResult,
    /// Days from the underlying event within which the change must be registered (Land Law
    /// 2024 Art. 133(3): 30); None when the change has no such deadline.
    pub deadline_days: Option<u32>,
    pub legal_basis: String,
}

impl ChangeRule {
    /// What the registration produces: the procedure's result, or a new certificate when the
    /// holder asks for one (Decree 101/2024 Art. 23 lists the holder's request among its cases).
    pub fn result_for(&self, holder_asks_new_certificate: bool) -> ChangeResult {
        if holder_asks_new_certificate {
            ChangeResult::NewCertificate
        } else {
            self.result
        }
    }
}

/// The registration deadline of a change and whether it was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// The last day to register (event date + the rule's days, calendar days [S]).
    pub due: NaiveDate,
    /// Registered after `due`.
    pub late: bool,
}

/// The deadline of a change under `rule`, whose underlying event happened on `event_date`,
/// registered on `registered_on`. A rule with a deadline needs the event date (`/event_date`);
/// an event after the registration is refused.
pub fn deadline(
    rule: &ChangeRule,
    event_date: Option<NaiveDate>,
    registered_on: NaiveDate,
) -> Result<Option<Deadline>, InputError> {
    if let Some(d) = event_date.filter(|d| *d > registered_on) {
        return Err(input_error("/event_date", format!("{d} is after the registration ({registered_on})")));
    }
    let Some(days) = rule.deadline_days else { return Ok(None) };
    let event = event_date.ok_or_else(|| {
        input_error(
            "/event_date",
            format!("this change must be registered within {days} days of its event (Land Law 2024 Art. 133(3)): give the event's date"),
        )
    })?;
    let due = event.checked_add_days(Days::new(u64::from(days))).unwrap_or(NaiveDate::MAX);
    Ok(Some(Deadline { due, late: registered_on > due }))
}

fn round_share(x: f64) -> f64 {
    (x * 1e8).round() / 1e8
}

/// Chuyển nhượng phần quyền: holder `from` passes `portion` of the whole right (all of their
/// share when None) to `buyers`, whose shares (fractions of the whole right) must add up to the
/// portion. The other holders keep exactly their shares; a seller left with nothing leaves.
/// Pointers are relative to the request's change object.
pub fn transfer_share(
    holders: &[Holder],
    from: usize,
    portion: Option<f64>,
    buyers: Vec<Holder>,
) -> Result<Vec<Holder>, InputError> {
    let seller = holders.get(from).ok_or_else(|| {
        input_error("/change/from", format!("the right has {} holders, numbered from 0", holders.len()))
    })?;
    if holders.len() < 2 && !seller.is_shared() {
        return Err(input_error("/change/from", "the right has one holder: transfer the whole right instead"));
    }
    let portion = round_share(portion.unwrap_or(seller.share));
    if !(portion > 0.0 && portion <= seller.share + crate::certificate::SHARE_TOLERANCE) {
        return Err(input_error(
            "/change/share",
            format!(
                "the seller holds {} of the right; the part transferred must be above 0 and at most that",
                seller.share
            ),
        ));
    }
    if buyers.is_empty() {
        return Err(input_error("/change/to", "name who receives the share"));
    }
    let received: f64 = buyers.iter().map(|b| b.share).sum();
    if (received - portion).abs() > crate::certificate::SHARE_TOLERANCE {
        return Err(input_error(
            "/change/to",
            format!("the buyers' shares add up to {received}, not the {portion} transferred"),
        ));
    }
    let mut out = Vec::with_capacity(holders.len() + buyers.len());
    for (i, h) in holders.iter().enumerate() {
        if i == from {
            let left = round_share(h.share - portion);
            if left > crate::certificate::SHARE_TOLERANCE {
                out.push(Holder { share: left, ..h.clone() });
            }
        } else {
            out.push(h.clone());
        }
    }
    out.extend(buyers);
    check_holders(&out).map_err(|e| input_error("/change/to", e.message))?;
    Ok(out)
}

/// Thừa kế: the holder `deceased` leaves; `heirs` take their share (fractions of the whole
/// right adding up to the deceased's share). The other holders keep theirs.
pub fn inherit(holders: &[Holder], deceased: usize, heirs: Vec<Holder>) -> Result<Vec<Holder>, InputError> {
    let gone = holders.get(deceased).ok_or_else(|| {
        input_error("/change/deceased", format!("the right has {} holders, numbered from 0", holders.len()))
    })?;
    if heirs.is_empty() {
        return Err(input_error("/change/heirs", "name at least one heir"));
    }
    let received: f64 = heirs.iter().map(|h| h.share).sum();
    if (received - gone.share).abs() > crate::certificate::SHARE_TOLERANCE {
        return Err(input_error(
            "/change/heirs",
            format!("the heirs' shares add up to {received}, not the deceased's {}", gone.share),
        ));
    }
    let mut out: Vec<Holder> =
        holders.iter().enumerate().filter(|(i, _)| *i != deceased).map(|(_, h)| h.clone()).collect();
    out.extend(heirs);
    check_holders(&out).map_err(|e| input_error("/change/heirs", e.message))?;
    Ok(out)
}

/// Phân chia: a right held jointly without shares (a couple, a household) becomes shares of
/// the people named. The right must have such a joint entry.
pub fn divide(holders: &[Holder], into: Vec<Holder>) -> Result<Vec<Holder>, InputError> {
    if !holders.iter().any(Holder::is_shared) {
        return Err(input_error(
            "/change/holders",
            "the right is held in shares already (no couple or household shares it without shares); transfer a share instead",
        ));
    }
    if into.len() < 2 {
        return Err(input_error("/change/holders", "a division names at least two holders"));
    }
    check_holders(&into).map_err(|e| input_error("/change/holders", e.message))?;
    Ok(into)
}

/// "50%", "33,333333%".
pub fn percent(share: f64) -> String {
    let pct = format!("{:.6}", share * 100.0);
    let pct = pct.trim_end_matches('0').trim_end_matches('.');
    format!("{}%", pct.replace('.', ","))
}

/// "… từ {from} thành {to} theo hồ sơ số {dossier}" (Circular 10/2024 Art. 41(5)).
pub fn from_to(what: &str, from: &str, to: &str, dossier: &str) -> String {
    format!("{what} từ {from} thành {to} theo hồ sơ số {dossier}")
}

/// "Nguyễn Văn A (50%), Trần Thị B (50%)".
pub fn names_with_shares(holders: &[Holder]) -> String {
    holders.iter().map(|h| format!("{} ({})", h.name, percent(h.share))).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificate::{HolderFields, MemberFields};

    fn person(name: &str, share: f64) -> Holder {
        Holder::parse("person", name, None, share).unwrap()
    }

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    #[test]
    fn kinds_and_results_round_trip() {
        for k in ChangeKind::ALL {
            assert_eq!(ChangeKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(ChangeKind::parse("rename"), None);
        assert_eq!(ChangeResult::parse("new_certificate"), Some(ChangeResult::NewCertificate));
        assert_eq!(ChangeResult::parse("x"), None);
        let rule = ChangeRule { result: ChangeResult::Endorsement, deadline_days: None, legal_basis: "x".into() };
        assert_eq!(rule.result_for(false), ChangeResult::Endorsement);
        assert_eq!(rule.result_for(true), ChangeResult::NewCertificate, "the holder may ask (Decree 101/2024 Art. 23)");
    }

    #[test]
    fn the_thirty_day_deadline() {
        let rule = ChangeRule { result: ChangeResult::Endorsement, deadline_days: Some(30), legal_basis: "x".into() };
        assert_eq!(
            deadline(&rule, Some(day(10, 1)), day(10, 31)).unwrap(),
            Some(Deadline { due: day(10, 31), late: false })
        );
        assert_eq!(
            deadline(&rule, Some(day(10, 1)), day(11, 1)).unwrap(),
            Some(Deadline { due: day(10, 31), late: true })
        );
        assert_eq!(deadline(&rule, None, day(11, 1)).unwrap_err().pointer, "/event_date");
        assert_eq!(deadline(&rule, Some(day(11, 2)), day(11, 1)).unwrap_err().pointer, "/event_date");
        let none = ChangeRule { deadline_days: None, ..rule };
        assert_eq!(deadline(&none, None, day(11, 1)).unwrap(), None);
    }

    #[test]
    fn a_co_owners_share_transfer_leaves_the_others_and_sums_to_one() {
        let third = 1.0 / 3.0;
        let holders = vec![person("An", third), person("Bình", third), person("Chi", third)];
        let out = transfer_share(&holders, 1, None, vec![person("Dũng", third)]).unwrap();
        assert_eq!(out.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(), ["An", "Chi", "Dũng"]);
        assert_eq!(
            (out[0].share, out[1].share),
            (holders[0].share, holders[2].share),
            "the others keep exactly theirs"
        );
        assert!((out.iter().map(|h| h.share).sum::<f64>() - 1.0).abs() < 1e-6);
        // Part of a share: the seller stays with the rest.
        let halves = vec![person("An", 0.5), person("Bình", 0.5)];
        let out = transfer_share(&halves, 0, Some(0.2), vec![person("Dũng", 0.2)]).unwrap();
        assert_eq!(
            out.iter().map(|h| (h.name.as_str(), h.share)).collect::<Vec<_>>(),
            [("An", 0.3), ("Bình", 0.5), ("Dũng", 0.2)]
        );
        // Refusals name the field.
        assert_eq!(transfer_share(&halves, 2, None, vec![person("D", 0.5)]).unwrap_err().pointer, "/change/from");
        assert_eq!(transfer_share(&halves, 0, Some(0.6), vec![person("D", 0.6)]).unwrap_err().pointer, "/change/share");
        assert_eq!(transfer_share(&halves, 0, None, vec![person("D", 0.4)]).unwrap_err().pointer, "/change/to");
        assert_eq!(transfer_share(&halves, 0, None, vec![]).unwrap_err().pointer, "/change/to");
        assert_eq!(
            transfer_share(&[person("An", 1.0)], 0, None, vec![person("D", 1.0)]).unwrap_err().pointer,
            "/change/from"
        );
    }

    #[test]
    fn an_inheritance_ends_the_deceased_and_opens_the_heirs_shares() {
        let out = inherit(&[person("Cụ Tư", 1.0)], 0, vec![person("Con Một", 0.5), person("Con Hai", 0.5)]).unwrap();
        assert_eq!(
            out.iter().map(|h| (h.name.as_str(), h.share)).collect::<Vec<_>>(),
            [("Con Một", 0.5), ("Con Hai", 0.5)]
        );
        let co = [person("An", 0.25), person("Cụ Tư", 0.75)];
        let out = inherit(&co, 1, vec![person("Con", 0.75)]).unwrap();
        assert_eq!(out[0], co[0]);
        assert_eq!(inherit(&co, 1, vec![person("Con", 0.5)]).unwrap_err().pointer, "/change/heirs");
        assert_eq!(inherit(&co, 5, vec![person("Con", 0.75)]).unwrap_err().pointer, "/change/deceased");
    }

    #[test]
    fn a_division_needs_a_joint_entry() {
        let couple = Holder::parse_fields(&HolderFields {
            kind: "person",
            name: "Nguyễn Văn An",
            share: 1.0,
            title: Some("ong"),
            spouse: Some(MemberFields { title: Some("ba"), name: "Trần Thị Bé", ..MemberFields::default() }),
            ..HolderFields::default()
        })
        .unwrap();
        let out = divide(&[couple], vec![person("Nguyễn Văn An", 0.5), person("Trần Thị Bé", 0.5)]).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(
            divide(&[person("A", 1.0)], vec![person("A", 0.5), person("B", 0.5)]).unwrap_err().pointer,
            "/change/holders"
        );
    }

    #[test]
    fn texts_say_from_what_to_what_under_which_dossier() {
        assert_eq!(
            from_to("Thay đổi địa chỉ của người sử dụng đất", "số 1 Lê Lợi", "số 9 Hùng Vương", "HS-2026-0042"),
            "Thay đổi địa chỉ của người sử dụng đất từ số 1 Lê Lợi thành số 9 Hùng Vương theo hồ sơ số HS-2026-0042"
        );
        assert_eq!(names_with_shares(&[person("A", 0.5), person("B", 0.5)]), "A (50%), B (50%)");
        assert_eq!(percent(1.0 / 3.0), "33,333333%");
    }
}
