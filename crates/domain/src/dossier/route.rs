//! What a dossier's route depends on besides its state: the procedure's rules (kept as data in
//! the catalogue, `sample-data/procedures.csv`): how many times a supplement may be asked,
//! which waits stop the clock, whether the commune must verify the site or post a notice
//! before a decision, and for how long. Pure: the caller passes the dates.

use chrono::{Days, NaiveDate};

use super::{CommuneTask, PauseReason};
use crate::calendar::Calendar;

/// A procedure's route rules, as the catalogue holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcedureRules {
    /// How many times the applicant may be asked to supplement the dossier.
    pub max_supplements: u32,
    /// The waits that stop this procedure's clock.
    pub pause_reasons: Vec<PauseReason>,
    /// Working days the commune has for a site verification; > 0: one is required before a
    /// decision.
    pub site_verification_days: u32,
    /// Days (calendar) a notice stays posted at the commune; > 0: a posting is required
    /// before a decision.
    pub posting_days: u32,
}

impl ProcedureRules {
    /// Whether waiting for `reason` stops this procedure's clock.
    pub fn pauses(&self, reason: PauseReason) -> bool {
        self.pause_reasons.contains(&reason)
    }

    /// Whether the procedure requires the commune to do `task` before the decision.
    pub fn requires(&self, task: CommuneTask) -> bool {
        match task {
            CommuneTask::SiteVerification => self.site_verification_days > 0,
            CommuneTask::Posting => self.posting_days > 0,
        }
    }
}

/// Why a step of the route was refused (a conflict with where the dossier stands).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// The applicant was already asked as many times as the procedure allows.
    #[error("this procedure allows {max} supplement request(s) and {asked} were made; the dossier must be decided on what was handed in")]
    SupplementLimit {
        /// The procedure's limit.
        max: u32,
        /// Requests made so far.
        asked: usize,
    },
    /// The notice has not stayed up for the procedure's posting period.
    #[error("the notice posted on {posted_on} stays up until {until} ({days} days): the commune may hand the dossier back from {until}")]
    PostingNotOver {
        /// The day the notice went up.
        posted_on: NaiveDate,
        /// The first day it may come down.
        until: NaiveDate,
        /// The posting period.
        days: u32,
    },
    /// The procedure requires a commune task that has not been completed.
    #[error("this procedure requires {} at the commune before a decision (send_to_commune with purpose {}, then return_to_registration_office)", .0.label_vi(), .0.as_str())]
    CommuneTaskMissing(CommuneTask),
    /// A tax notice dated before the dossier reached the tax office, or in the future.
    #[error("the tax notice's date must be between {earliest} (the day the dossier went to the tax office) and today {today}")]
    NoticeDate {
        /// The day the dossier was sent to the tax office.
        earliest: NaiveDate,
        /// Today.
        today: NaiveDate,
    },
    /// A payment dated before the notice, or in the future.
    #[error("the payment date must be between the notice's date {notice_on} and today {today}")]
    PaymentDate {
        /// The notice's date.
        notice_on: NaiveDate,
        /// Today.
        today: NaiveDate,
    },
}

/// May the applicant be asked for a supplement once more, after `asked` requests?
pub fn check_supplement(rules: &ProcedureRules, asked: usize) -> Result<(), RouteError> {
    if asked < rules.max_supplements as usize {
        Ok(())
    } else {
        Err(RouteError::SupplementLimit { max: rules.max_supplements, asked })
    }
}

/// A handover to the commune and, once it came back, the day it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommuneVisit {
    /// What the commune was asked to do.
    pub task: CommuneTask,
    /// The day it was sent.
    pub sent_on: NaiveDate,
    /// The day the commune handed it back to the registration office; None while there, or
    /// when it left the commune another way (a supplement, a withdrawal).
    pub returned_on: Option<NaiveDate>,
}

/// One step of a dossier's recorded route, as [`commune_visits`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step<'a> {
    /// The action's name ([`super::Action::name`]).
    pub action: &'a str,
    /// The commune task of a `send_to_commune`.
    pub purpose: Option<CommuneTask>,
    /// The day it was taken.
    pub on: NaiveDate,
}

/// The dossier's visits to the commune, from its steps in order.
pub fn commune_visits<'a>(steps: impl IntoIterator<Item = Step<'a>>) -> Vec<CommuneVisit> {
    let mut visits: Vec<CommuneVisit> = Vec::new();
    let mut at_commune = false;
    for step in steps {
        match (step.action, step.purpose) {
            ("send_to_commune", Some(task)) => {
                visits.push(CommuneVisit { task, sent_on: step.on, returned_on: None });
                at_commune = true;
            }
            ("return_to_registration_office", _) if at_commune => {
                if let Some(last) = visits.last_mut() {
                    last.returned_on = Some(step.on);
                }
                at_commune = false;
            }
            // Any other step leaves the commune without its task done.
            _ => at_commune = false,
        }
    }
    visits
}

/// The posting period of a notice put up on `posted_on`: the days it stays up, inclusive, and
/// the first day it may come down. [U] The procedures give the period in days without saying
/// whether they are working days; it is read as calendar days, from the day of posting.
pub fn posting_period(rules: &ProcedureRules, posted_on: NaiveDate) -> (NaiveDate, NaiveDate) {
    let until = posted_on + Days::new(u64::from(rules.posting_days));
    let last = until.pred_opt().unwrap_or(until).max(posted_on);
    (last, until)
}

/// The pause a posting makes when the procedure stops its clock for postings: the whole posting
/// period, known the day the notice goes up.
pub fn posting_pause(rules: &ProcedureRules, posted_on: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    (rules.posting_days > 0 && rules.pauses(PauseReason::Posting))
        .then(|| (posted_on, posting_period(rules, posted_on).0))
}

/// The day the commune's site verification is due: its working days after the handover; None
/// when the procedure gives it no limit.
pub fn site_verification_due(cal: &Calendar, rules: &ProcedureRules, sent_on: NaiveDate) -> Option<NaiveDate> {
    (rules.site_verification_days > 0).then(|| cal.add_working_days(sent_on, rules.site_verification_days))
}

/// May the commune hand the dossier back today? A posting must have stayed up its period.
pub fn check_return_from_commune(
    rules: &ProcedureRules,
    visit: &CommuneVisit,
    today: NaiveDate,
) -> Result<(), RouteError> {
    if visit.task == CommuneTask::Posting && rules.posting_days > 0 {
        let (_, until) = posting_period(rules, visit.sent_on);
        if today < until {
            return Err(RouteError::PostingNotOver { posted_on: visit.sent_on, until, days: rules.posting_days });
        }
    }
    Ok(())
}

/// May the dossier be decided (approved)? Every commune task the procedure requires must have
/// been done: sent and handed back.
pub fn check_decision(rules: &ProcedureRules, visits: &[CommuneVisit]) -> Result<(), RouteError> {
    for task in CommuneTask::ALL {
        let done = visits.iter().any(|v| v.task == task && v.returned_on.is_some());
        if rules.requires(task) && !done {
            return Err(RouteError::CommuneTaskMissing(task));
        }
    }
    Ok(())
}

/// Is `notice_on` a possible date for the tax office's notice of a dossier sent to it on
/// `sent_on`?
pub fn check_tax_notice(sent_on: NaiveDate, notice_on: NaiveDate, today: NaiveDate) -> Result<(), RouteError> {
    if sent_on <= notice_on && notice_on <= today {
        Ok(())
    } else {
        Err(RouteError::NoticeDate { earliest: sent_on, today })
    }
}

/// Is `paid_on` a possible payment date for a notice of `notice_on`?
pub fn check_payment(notice_on: NaiveDate, paid_on: NaiveDate, today: NaiveDate) -> Result<(), RouteError> {
    if notice_on <= paid_on && paid_on <= today {
        Ok(())
    } else {
        Err(RouteError::PaymentDate { notice_on, today })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn rules(max_supplements: u32, site: u32, posting: u32, reasons: &[PauseReason]) -> ProcedureRules {
        ProcedureRules {
            max_supplements,
            pause_reasons: reasons.to_vec(),
            site_verification_days: site,
            posting_days: posting,
        }
    }

    #[test]
    fn supplements_up_to_the_procedures_limit() {
        // (limit, asked so far, allowed)
        let table = [(1, 0, true), (1, 1, false), (2, 1, true), (2, 2, false), (0, 0, false)];
        for (max, asked, ok) in table {
            let r = rules(max, 0, 0, &[]);
            assert_eq!(check_supplement(&r, asked).is_ok(), ok, "max {max}, asked {asked}");
        }
        let err = check_supplement(&rules(1, 0, 0, &[]), 1).unwrap_err();
        assert!(err.to_string().contains("allows 1 supplement request(s)"), "{err}");
    }

    #[test]
    fn pause_rules_are_the_procedures() {
        let r = rules(1, 0, 15, &[PauseReason::Supplement, PauseReason::Posting]);
        assert!(r.pauses(PauseReason::Supplement));
        assert!(!r.pauses(PauseReason::FinancialObligation));
        // A 15-day posting from 2/3/2026 is up through 16/3 and may come down on 17/3; the
        // clock stops for exactly those days.
        assert_eq!(posting_period(&r, date("2026-03-02")), (date("2026-03-16"), date("2026-03-17")));
        assert_eq!(posting_pause(&r, date("2026-03-02")), Some((date("2026-03-02"), date("2026-03-16"))));
        let counted = rules(1, 0, 15, &[PauseReason::Supplement]);
        assert_eq!(posting_pause(&counted, date("2026-03-02")), None, "posting not among the pauses");
        assert_eq!(posting_pause(&rules(1, 0, 0, &[PauseReason::Posting]), date("2026-03-02")), None);
    }

    fn step(action: &'static str, purpose: Option<CommuneTask>, on: &str) -> Step<'static> {
        Step { action, purpose, on: date(on) }
    }

    #[test]
    fn commune_visits_end_only_when_handed_back() {
        let steps = [
            step("receive", None, "2026-03-02"),
            step("start_appraisal", None, "2026-03-02"),
            step("send_to_commune", Some(CommuneTask::SiteVerification), "2026-03-03"),
            step("request_supplement", None, "2026-03-04"),
            step("receive_supplement", None, "2026-03-05"),
            step("start_appraisal", None, "2026-03-05"),
            step("send_to_commune", Some(CommuneTask::SiteVerification), "2026-03-06"),
            step("return_to_registration_office", None, "2026-03-09"),
            step("send_to_tax_office", None, "2026-03-10"),
            step("return_to_registration_office", None, "2026-03-11"),
        ];
        let visits = commune_visits(steps);
        assert_eq!(
            visits,
            [
                CommuneVisit { task: CommuneTask::SiteVerification, sent_on: date("2026-03-03"), returned_on: None },
                CommuneVisit {
                    task: CommuneTask::SiteVerification,
                    sent_on: date("2026-03-06"),
                    returned_on: Some(date("2026-03-09"))
                },
            ]
        );
    }

    #[test]
    fn decisions_wait_for_the_required_commune_tasks() {
        let both = rules(1, 3, 15, &[]);
        let site_done = CommuneVisit {
            task: CommuneTask::SiteVerification,
            sent_on: date("2026-03-02"),
            returned_on: Some(date("2026-03-04")),
        };
        let posting_open = CommuneVisit { task: CommuneTask::Posting, sent_on: date("2026-03-05"), returned_on: None };
        let posting_done = CommuneVisit { returned_on: Some(date("2026-03-20")), ..posting_open };
        // (rules, visits, expected)
        let table: [(&ProcedureRules, Vec<CommuneVisit>, Result<(), RouteError>); 5] = [
            (&both, vec![], Err(RouteError::CommuneTaskMissing(CommuneTask::SiteVerification))),
            (&both, vec![site_done], Err(RouteError::CommuneTaskMissing(CommuneTask::Posting))),
            (&both, vec![site_done, posting_open], Err(RouteError::CommuneTaskMissing(CommuneTask::Posting))),
            (&both, vec![site_done, posting_done], Ok(())),
            (&rules(1, 0, 0, &[]), vec![], Ok(())),
        ];
        for (r, visits, expected) in table {
            assert_eq!(check_decision(r, &visits), expected, "{visits:?}");
        }
    }

    #[test]
    fn a_posting_comes_down_only_after_its_period() {
        let r = rules(1, 0, 15, &[]);
        let visit = CommuneVisit { task: CommuneTask::Posting, sent_on: date("2026-03-02"), returned_on: None };
        assert!(matches!(
            check_return_from_commune(&r, &visit, date("2026-03-16")),
            Err(RouteError::PostingNotOver { until, .. }) if until == date("2026-03-17")
        ));
        assert_eq!(check_return_from_commune(&r, &visit, date("2026-03-17")), Ok(()));
        // A site verification may come back any day.
        let site = CommuneVisit { task: CommuneTask::SiteVerification, ..visit };
        assert_eq!(check_return_from_commune(&r, &site, date("2026-03-02")), Ok(()));
    }

    #[test]
    fn the_communes_site_verification_has_its_own_due_date() {
        let cal = Calendar::rules_only();
        let r = rules(1, 3, 0, &[]);
        // Sent on Friday 6/3/2026: three working days later is Wednesday 11/3.
        assert_eq!(site_verification_due(&cal, &r, date("2026-03-06")), Some(date("2026-03-11")));
        assert_eq!(site_verification_due(&cal, &rules(1, 0, 0, &[]), date("2026-03-06")), None);
    }

    #[test]
    fn tax_notice_and_payment_dates() {
        let (sent, today) = (date("2026-03-03"), date("2026-03-10"));
        assert!(check_tax_notice(sent, date("2026-03-03"), today).is_ok());
        assert!(check_tax_notice(sent, date("2026-03-02"), today).is_err());
        assert!(check_tax_notice(sent, date("2026-03-11"), today).is_err());
        assert!(check_payment(date("2026-03-05"), date("2026-03-05"), today).is_ok());
        assert!(check_payment(date("2026-03-05"), date("2026-03-04"), today).is_err());
        assert!(check_payment(date("2026-03-05"), date("2026-03-11"), today).is_err());
    }
}
