//! Sample dossiers: a synthetic, deterministic year of one-stop history in the sample communes,
//! pushed through the same use cases as the API with simulated clocks — complete documents,
//! supplements, transfers through the tax office with a payment pause, lost-certificate
//! dossiers posted at the commune, a few late ones with and without a timely apology.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::PgConnection;

use super::{
    act, apologise, load_calendar, local_day, receive, staff_view, vietnam, ApologyInput, ApplicantInput,
    DocumentInput, EventInput, NewDossier, TaxNoticeInput,
};
use crate::service::{Actor, Role, Settings};
use domain::calendar::Calendar;
use domain::timeliness::apology_deadline;
use store::dossiers as db;

/// The procedures of the sample, and what their route adds.
const PROCEDURES: [&str; 6] = ["1.013831", "1.012783", "1.012786", "1.013833", "1.012784", "1.013992"];
/// Transfers and purpose changes go through the tax office (registration fee, land-use levy).
const WITH_OBLIGATIONS: [&str; 2] = ["1.013831", "1.013992"];

/// An empty event of `action`.
fn event(action: &str) -> EventInput {
    EventInput {
        action: action.into(),
        method: None,
        tracking_number: None,
        purpose: None,
        tax_notice: None,
        paid_on: None,
        note: None,
    }
}

/// One dossier's walk along the working days, stopping at `until` (recent dossiers stay open
/// wherever they were).
struct Walk<'a> {
    actor: &'a Actor,
    cal: &'a Calendar,
    until: DateTime<Utc>,
    id: i64,
    clock: DateTime<Utc>,
}

impl Walk<'_> {
    /// The day `days` working days after the last step (0: the same day).
    fn day_after(&self, days: u32) -> NaiveDate {
        let d = local_day(self.clock);
        if days == 0 {
            d
        } else {
            self.cal.add_working_days(d, days)
        }
    }

    /// Takes the step on `day` during office hours; false (and nothing done) when that is after
    /// `until`.
    fn step_on(&mut self, conn: &mut PgConnection, day: NaiveDate, input: EventInput) -> anyhow::Result<bool> {
        let minutes = 9 * 60 + (self.id * 37 + input.action.len() as i64 * 11) % 420;
        let at = vietnam_instant(day, minutes).max(self.clock + chrono::Duration::minutes(1));
        if at > self.until {
            return Ok(false);
        }
        self.clock = at;
        let action = input.action.clone();
        act(conn, self.actor, self.id, &input, at)
            .map_err(|e| anyhow::anyhow!("sample dossier {} {action}: {e:?}", self.id))?;
        Ok(true)
    }

    fn step(&mut self, conn: &mut PgConnection, days: u32, input: EventInput) -> anyhow::Result<bool> {
        let day = self.day_after(days);
        self.step_on(conn, day, input)
    }
}

/// Sample dossiers spread over the year before `until` in the sample communes (synthetic,
/// deterministic). Skipped when dossiers exist.
pub fn seed_samples(
    conn: &mut PgConnection,
    settings: &Settings,
    until: DateTime<Utc>,
    per_commune: usize,
) -> anyhow::Result<usize> {
    if store::reference::count(conn, "dossiers")? > 0 {
        return Ok(0);
    }
    // The sample clerk: an account that cannot sign in (its hash matches no password).
    let clerk = match store::users::by_username(conn, "sample-clerk")? {
        Some(u) => u.id,
        None => store::users::insert(
            conn,
            "sample-clerk",
            "Cán bộ mẫu (tổng hợp / synthetic)",
            "!disabled",
            Role::Admin,
            None,
        )?,
    };
    let actor = Actor { user_id: clerk, username: "sample-clerk".into(), role: Role::Admin, province_code: None };
    let cal = load_calendar(conn).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut required = Vec::new();
    for code in PROCEDURES {
        let p = db::procedure(conn, code)?
            .ok_or_else(|| anyhow::anyhow!("sample procedure {code} is not in the catalogue"))?;
        let docs: Vec<String> = p
            .required_documents
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d.as_str().map(String::from))
            .collect();
        required.push((code, docs, u32::try_from(p.posting_days).unwrap_or(0)));
    }
    let mut rng = SampleRng(0x5EED_D055_1E55);
    let mut made = 0;
    for sample in &crate::service::seed::SAMPLE_COMMUNES {
        let parcels = store::parcels::current_ids_in_commune(conn, sample.code)?;
        for i in 0..per_commune {
            // Receipts spread over 365 days, office hours 7:30–17:00 Vietnam time.
            let day = local_day(until) - chrono::Duration::days(365 - (i as i64 * 365 / per_commune as i64));
            if !cal.is_working_day(day) {
                continue;
            }
            let received_at = vietnam_instant(day, 7 * 60 + 30 + rng.below(570) as i64);
            let channel = match rng.below(10) {
                0..=5 => "counter",
                6..=8 => "online",
                _ => "postal",
            };
            let (procedure, documents, posting_days) = &required[rng.below(PROCEDURES.len() as u64) as usize];
            let req = NewDossier {
                procedure: procedure.to_string(),
                channel: channel.into(),
                commune: sample.code.into(),
                applicant: ApplicantInput {
                    kind: "person".into(),
                    name: format!("Người nộp mẫu {} (tổng hợp)", i + 1),
                    id_number: None,
                    address: None,
                },
                parcels: parcels.get(i % parcels.len().max(1)).map(|p| vec![p.clone()]).unwrap_or_default(),
                documents: Some(
                    documents
                        .iter()
                        .map(|t| DocumentInput { title: t.clone(), copies: 1, requirement: None })
                        .collect(),
                ),
                incomplete_note: None,
                remote: false,
                received_at: Some(received_at),
            };
            let view = receive(conn, settings, &actor, &req, received_at)
                .map_err(|e| anyhow::anyhow!("sample dossier {i}: {e:?}"))?;
            made += 1;
            let mut walk = Walk { actor: &actor, cal: &cal, until, id: view.id, clock: received_at };
            walk_dossier(conn, &mut walk, &mut rng, procedure, *posting_days, channel)?;
        }
    }
    Ok(made)
}

/// The route of one sample dossier after its receipt; returns early where `until` stops it.
fn walk_dossier(
    conn: &mut PgConnection,
    walk: &mut Walk,
    rng: &mut SampleRng,
    procedure: &str,
    posting_days: u32,
    channel: &str,
) -> anyhow::Result<()> {
    if rng.below(100) < 15 {
        if !walk.step(conn, 1, event("request_supplement"))? {
            return Ok(());
        }
        if !walk.step(conn, 2 + rng.below(4) as u32, event("receive_supplement"))? {
            return Ok(());
        }
    }
    if !walk.step(conn, 1, event("start_appraisal"))? {
        return Ok(());
    }
    if posting_days > 0 {
        // The commune posts the notice; it comes down after its period.
        let posting = EventInput { purpose: Some("posting".into()), ..event("send_to_commune") };
        if !walk.step(conn, 1, posting)? {
            return Ok(());
        }
        let down = walk.cal.next_working_day(local_day(walk.clock) + chrono::Duration::days(i64::from(posting_days)));
        if !walk.step_on(conn, down, event("return_to_registration_office"))? {
            return Ok(());
        }
    }
    if WITH_OBLIGATIONS.contains(&procedure) {
        if !walk.step(conn, 1, event("send_to_tax_office"))? {
            return Ok(());
        }
        let notice_day = walk.day_after(1 + rng.below(3) as u32);
        let notice = EventInput {
            tax_notice: Some(TaxNoticeInput {
                number: format!("TB-{}-{:05}", notice_day.format("%y%m"), walk.id),
                amount: 1_000_000 * (1 + rng.below(40) as i64),
                issued_on: notice_day,
            }),
            ..event("record_tax_notice")
        };
        if !walk.step_on(conn, notice_day, notice)? {
            return Ok(());
        }
        let paid_day = walk.day_after(1 + rng.below(8) as u32);
        if !walk.step_on(conn, paid_day, EventInput { paid_on: Some(paid_day), ..event("record_payment") })? {
            return Ok(());
        }
    }
    let decision = if rng.below(100) < 92 { "approve" } else { "reject" };
    if !walk.step(conn, 1, event(decision))? {
        return Ok(());
    }
    // Most results are ready by the due date; about one in twelve is late by 1–3 working days.
    let due = staff_view(conn, walk.id, walk.clock).map_err(|e| anyhow::anyhow!("sample dossier: {e:?}"))?.due_on;
    let today = local_day(walk.clock);
    let ready_day = if rng.below(12) == 0 {
        walk.cal.add_working_days(due.max(today), 1 + rng.below(3) as u32)
    } else if due > today {
        walk.cal.add_working_days(today, rng.below(walk.cal.working_days_between(today, due) as u64 + 1) as u32)
    } else {
        today
    };
    // Seven in ten dossiers that will be late get their apology in time, on the last day for it.
    if ready_day > due && rng.below(10) < 7 {
        let day = apology_deadline(walk.cal, due).max(today);
        let at = vietnam_instant(day, 16 * 60).max(walk.clock + chrono::Duration::minutes(1));
        if at <= walk.until {
            let input = ApologyInput {
                reason: "Hồ sơ phải xác minh thêm nguồn gốc sử dụng đất (mẫu)".into(),
                new_due_on: walk.cal.add_working_days(ready_day, 1),
            };
            apologise(conn, walk.actor, walk.id, &input, at).map_err(|e| anyhow::anyhow!("sample apology: {e:?}"))?;
            walk.clock = at;
        }
    }
    if !walk.step_on(conn, ready_day, event("mark_result_ready"))? {
        return Ok(());
    }
    let returned = match channel {
        "postal" => EventInput {
            method: Some("postal".into()),
            tracking_number: Some(format!("EB{:09}VN", walk.id)),
            ..event("return_result")
        },
        "online" => EventInput { method: Some("online".into()), ..event("return_result") },
        _ => EventInput { method: Some("counter".into()), ..event("return_result") },
    };
    walk.step(conn, 1, returned)?;
    Ok(())
}

fn vietnam_instant(day: NaiveDate, minutes: i64) -> DateTime<Utc> {
    let local = day.and_hms_opt(0, 0, 0).expect("midnight") + chrono::Duration::minutes(minutes);
    local.and_local_timezone(vietnam()).single().expect("UTC+7 has no gaps").with_timezone(&Utc)
}

/// SplitMix64: deterministic sample data without depending on a crate's RNG stream.
struct SampleRng(u64);

impl SampleRng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n.max(1)
    }
}
