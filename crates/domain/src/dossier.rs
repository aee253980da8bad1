//! Hồ sơ thủ tục hành chính — the route of a dossier through the one-stop shop (bộ phận một
//! cửa) and the units behind it, as a state machine: [`apply`] takes a state and an action and
//! gives the next state or a [`TransitionError`] saying what was allowed instead. Every state
//! has one holder ([`State::holder`]): the unit that has the dossier in hand.
//!
//! ```text
//!                                                            holder
//! received             ── start_appraisal ─────────▶ appraising          desk → registration office
//! appraising           ── send_to_commune ─────────▶ at_commune          → commune (site check, posting)
//! appraising           ── send_to_tax_office ──────▶ at_tax_office       → tax office
//! at_commune, at_tax_office ── return_to_registration_office ▶ appraising
//! at_tax_office        ── record_tax_notice ───────▶ awaiting_payment    → applicant (clock stops)
//! awaiting_payment     ── record_payment ──────────▶ appraising          (clock runs again)
//! received, appraising, at_commune, at_tax_office
//!                      ── request_supplement ──────▶ supplement_requested → applicant (clock stops)
//! supplement_requested ── receive_supplement ──────▶ received            → desk (clock runs again)
//! appraising           ── approve ─────────────────▶ approved
//! received, appraising ── reject ──────────────────▶ rejected
//! approved, rejected   ── mark_result_ready ───────▶ result_ready        → desk
//! result_ready         ── return_result ───────────▶ returned            (final)
//! any non-final state  ── withdraw ────────────────▶ withdrawn           (final)
//! ```
//!
//! Decisions the table encodes:
//! - a supplement may be asked at the desk and at every processing step; it always comes back
//!   through the desk (`received`), which forwards the dossier again, so the desk is the one
//!   place where documents enter;
//! - `reject` is allowed from `received` (từ chối tại bộ phận một cửa — the desk refuses a
//!   dossier outside its competence or not eligible, Phiếu từ chối) as well as after appraisal;
//!   the commune and the tax office hand the dossier back to the registration office, which
//!   decides;
//! - `withdraw` (rút hồ sơ) is allowed from every non-final state, even with a result ready;
//! - `returned` and `withdrawn` are final: nothing leaves them.
//!
//! What depends on the procedure (how many supplements, which waits stop the clock, whether a
//! site verification or a posting must come before the decision) is in [`route`], over the
//! procedure's [`route::ProcedureRules`]; what the documents handed in lack is in [`documents`].

pub mod documents;
pub mod notice;
pub mod route;
pub mod submission;

use serde::{Deserialize, Serialize};

/// Trạng thái hồ sơ — where a dossier is. Stored as [`State::as_str`] in a text column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Đã tiếp nhận: received complete and valid at the desk; the clock runs.
    Received,
    /// Yêu cầu bổ sung: the applicant was asked to supplement the dossier; the clock stops.
    SupplementRequested,
    /// Đang thẩm định: under appraisal by the land registration office.
    Appraising,
    /// Chuyển UBND cấp xã: at the commune for a site verification or a public posting.
    AtCommune,
    /// Chuyển cơ quan thuế: the tax office determines the financial obligations.
    AtTaxOffice,
    /// Chờ thực hiện nghĩa vụ tài chính: the tax notice is out, the applicant has to pay.
    AwaitingPayment,
    /// Đã phê duyệt: approved by the competent authority.
    Approved,
    /// Từ chối: refused, at the desk or after appraisal (a written refusal is the result).
    Rejected,
    /// Có kết quả: the result (certificate, decision or refusal) is at the desk to hand back.
    ResultReady,
    /// Đã trả kết quả: the result was returned. Final.
    Returned,
    /// Đã rút hồ sơ: the applicant withdrew the dossier. Final.
    Withdrawn,
}

impl State {
    /// Every state, in the order of a dossier's life.
    pub const ALL: [State; 11] = [
        State::Received,
        State::SupplementRequested,
        State::Appraising,
        State::AtCommune,
        State::AtTaxOffice,
        State::AwaitingPayment,
        State::Approved,
        State::Rejected,
        State::ResultReady,
        State::Returned,
        State::Withdrawn,
    ];

    /// The text stored in the database (snake_case, as serde writes it).
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Received => "received",
            State::SupplementRequested => "supplement_requested",
            State::Appraising => "appraising",
            State::AtCommune => "at_commune",
            State::AtTaxOffice => "at_tax_office",
            State::AwaitingPayment => "awaiting_payment",
            State::Approved => "approved",
            State::Rejected => "rejected",
            State::ResultReady => "result_ready",
            State::Returned => "returned",
            State::Withdrawn => "withdrawn",
        }
    }

    /// The state as the desk and the public page name it.
    pub const fn label_vi(self) -> &'static str {
        match self {
            State::Received => "Đã tiếp nhận",
            State::SupplementRequested => "Chờ bổ sung hồ sơ",
            State::Appraising => "Đang thẩm định",
            State::AtCommune => "Đang xác minh, niêm yết tại xã",
            State::AtTaxOffice => "Đang xác định nghĩa vụ tài chính",
            State::AwaitingPayment => "Chờ nộp nghĩa vụ tài chính",
            State::Approved => "Đã phê duyệt",
            State::Rejected => "Từ chối giải quyết",
            State::ResultReady => "Có kết quả, chờ trả",
            State::Returned => "Đã trả kết quả",
            State::Withdrawn => "Đã rút hồ sơ",
        }
    }

    /// The state stored as `s`, or `None` for an unknown text.
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|state| state.as_str() == s)
    }

    /// Whether no action leaves this state (`returned`, `withdrawn`).
    pub const fn is_final(self) -> bool {
        match self {
            State::Returned | State::Withdrawn => true,
            State::Received
            | State::SupplementRequested
            | State::Appraising
            | State::AtCommune
            | State::AtTaxOffice
            | State::AwaitingPayment
            | State::Approved
            | State::Rejected
            | State::ResultReady => false,
        }
    }

    /// Whether the office's work is done: the result is ready, returned, or the dossier was
    /// withdrawn. The clock has stopped for good.
    pub const fn is_finished(self) -> bool {
        match self {
            State::ResultReady | State::Returned | State::Withdrawn => true,
            State::Received
            | State::SupplementRequested
            | State::Appraising
            | State::AtCommune
            | State::AtTaxOffice
            | State::AwaitingPayment
            | State::Approved
            | State::Rejected => false,
        }
    }

    /// Who has the dossier in hand (đơn vị đang xử lý).
    pub const fn holder(self) -> Unit {
        match self {
            State::Received | State::ResultReady => Unit::OneStop,
            State::Appraising | State::Approved | State::Rejected => Unit::RegistrationOffice,
            State::AtCommune => Unit::Commune,
            State::AtTaxOffice => Unit::TaxOffice,
            State::SupplementRequested | State::AwaitingPayment | State::Returned | State::Withdrawn => Unit::Applicant,
        }
    }

    /// What the dossier waits for in this state when it waits on the applicant: the reason a
    /// procedure may stop the clock for (whether it does is the procedure's
    /// [`route::ProcedureRules::pauses`]).
    pub const fn pause_reason(self) -> Option<PauseReason> {
        match self {
            State::SupplementRequested => Some(PauseReason::Supplement),
            State::AwaitingPayment => Some(PauseReason::FinancialObligation),
            State::Received
            | State::Appraising
            | State::AtCommune
            | State::AtTaxOffice
            | State::Approved
            | State::Rejected
            | State::ResultReady
            | State::Returned
            | State::Withdrawn => None,
        }
    }
}

impl TryFrom<String> for State {
    type Error = String;
    /// Reads the stored text (how the store maps the `dossiers.state` column).
    fn try_from(text: String) -> Result<State, String> {
        State::parse(&text).ok_or_else(|| format!("unknown dossier state {text:?}"))
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A unit that holds dossiers in turn (the "liên thông" of a land procedure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Bộ phận Một cửa: receives dossiers and supplements, hands results back.
    OneStop,
    /// Văn phòng (chi nhánh) đăng ký đất đai: appraises, updates the register, prepares the result.
    RegistrationOffice,
    /// Ủy ban nhân dân cấp xã: site verification, public posting.
    Commune,
    /// Cơ quan thuế: determines the financial obligations and issues the notice.
    TaxOffice,
    /// Người nộp hồ sơ: the applicant, while a supplement or a payment is awaited, and after.
    Applicant,
}

impl Unit {
    /// Every unit, in the order a dossier usually meets them.
    pub const ALL: [Unit; 5] =
        [Unit::OneStop, Unit::RegistrationOffice, Unit::Commune, Unit::TaxOffice, Unit::Applicant];

    /// The unit's name in the API (snake_case).
    pub const fn as_str(self) -> &'static str {
        match self {
            Unit::OneStop => "one_stop",
            Unit::RegistrationOffice => "registration_office",
            Unit::Commune => "commune",
            Unit::TaxOffice => "tax_office",
            Unit::Applicant => "applicant",
        }
    }

    /// The unit as the desk names it.
    pub const fn label_vi(self) -> &'static str {
        match self {
            Unit::OneStop => "Bộ phận Một cửa",
            Unit::RegistrationOffice => "Văn phòng đăng ký đất đai",
            Unit::Commune => "Ủy ban nhân dân cấp xã",
            Unit::TaxOffice => "Cơ quan thuế",
            Unit::Applicant => "Người nộp hồ sơ",
        }
    }
}

/// Why a dossier's clock may stop (lý do tạm dừng tính thời gian). Stored as
/// [`PauseReason::as_str`] in `dossier_pauses.reason` and in the procedures' pause rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseReason {
    /// Chờ bổ sung, hoàn thiện hồ sơ: from the request to the day the supplement arrives.
    Supplement,
    /// Thực hiện nghĩa vụ tài chính: from the tax notice to the day of payment.
    FinancialObligation,
    /// Niêm yết công khai: the posting period at the commune.
    Posting,
}

impl PauseReason {
    /// Every reason.
    pub const ALL: [PauseReason; 3] = [PauseReason::Supplement, PauseReason::FinancialObligation, PauseReason::Posting];

    /// The stored text.
    pub const fn as_str(self) -> &'static str {
        match self {
            PauseReason::Supplement => "supplement",
            PauseReason::FinancialObligation => "financial_obligation",
            PauseReason::Posting => "posting",
        }
    }

    /// The reason stored as `s`.
    pub fn parse(s: &str) -> Option<PauseReason> {
        PauseReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What the commune is asked to do with the dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommuneTask {
    /// Xác minh thực địa: check the land on site (boundary, current use, origin).
    SiteVerification,
    /// Niêm yết công khai: post a public notice at the commune's office for a set period.
    Posting,
}

impl CommuneTask {
    /// Every task.
    pub const ALL: [CommuneTask; 2] = [CommuneTask::SiteVerification, CommuneTask::Posting];

    /// The stored text.
    pub const fn as_str(self) -> &'static str {
        match self {
            CommuneTask::SiteVerification => "site_verification",
            CommuneTask::Posting => "posting",
        }
    }

    /// The task written `s`.
    pub fn parse(s: &str) -> Option<CommuneTask> {
        CommuneTask::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The task as the desk names it.
    pub const fn label_vi(self) -> &'static str {
        match self {
            CommuneTask::SiteVerification => "Xác minh thực địa",
            CommuneTask::Posting => "Niêm yết công khai",
        }
    }
}

/// Hình thức trả kết quả — how the result goes back to the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnMethod {
    /// Trực tiếp: at the one-stop-shop counter.
    Counter,
    /// Bưu chính công ích: by public postal service, with the item's number for tracking.
    Postal,
    /// Trực tuyến: electronically, through the public-service portal.
    Online,
}

impl ReturnMethod {
    /// Every method.
    pub const ALL: [ReturnMethod; 3] = [ReturnMethod::Counter, ReturnMethod::Postal, ReturnMethod::Online];

    /// The text stored in the database (snake_case, as serde writes it).
    pub const fn as_str(self) -> &'static str {
        match self {
            ReturnMethod::Counter => "counter",
            ReturnMethod::Postal => "postal",
            ReturnMethod::Online => "online",
        }
    }

    /// The method stored as `s`, or `None` for an unknown text.
    pub fn parse(s: &str) -> Option<ReturnMethod> {
        ReturnMethod::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Whether the return is recorded with the postal item's number (số hiệu bưu gửi), so the
    /// applicant can follow the parcel.
    pub const fn needs_tracking_number(self) -> bool {
        matches!(self, ReturnMethod::Postal)
    }
}

/// A postal item number as typed (spaces dropped, upper case), or None when it cannot be one:
/// 6–40 letters, digits or hyphens (the UPU S10 form is 2 letters, 9 digits, 2 letters, e.g.
/// EB123456789VN; domestic couriers use others).
pub fn normalize_tracking_number(typed: &str) -> Option<String> {
    let number: String = typed.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
    let ok = (6..=40).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    ok.then_some(number)
}

/// What an officer does to a dossier. In JSON the action is tagged by its name:
/// `{"action": "approve"}`, `{"action": "return_result", "method": "postal"}`,
/// `{"action": "send_to_commune", "purpose": "posting"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Yêu cầu bổ sung hồ sơ: from the desk or a processing step → supplement_requested.
    RequestSupplement,
    /// Nhận hồ sơ bổ sung: supplement_requested → received (the desk forwards it again).
    ReceiveSupplement,
    /// Chuyển thẩm định: the desk hands the dossier to the registration office.
    StartAppraisal,
    /// Chuyển UBND cấp xã: the registration office sends it to the commune for `purpose`.
    SendToCommune {
        /// Site verification or public posting.
        purpose: CommuneTask,
    },
    /// Chuyển cơ quan thuế (phiếu chuyển thông tin địa chính): to the tax office.
    SendToTaxOffice,
    /// Chuyển trả VPĐK: the commune or the tax office hands the dossier back.
    ReturnToRegistrationOffice,
    /// Thông báo nộp tiền: the tax office's notice is out; the applicant has to pay.
    RecordTaxNotice,
    /// Đã nộp nghĩa vụ tài chính: the payment is proven; back to the registration office.
    RecordPayment,
    /// Phê duyệt: appraising → approved.
    Approve,
    /// Từ chối: received → rejected (refusal at the desk) or appraising → rejected.
    Reject,
    /// Có kết quả: approved or rejected → result_ready.
    MarkResultReady,
    /// Trả kết quả: result_ready → returned, by `method`.
    ReturnResult {
        /// How the result was handed back.
        method: ReturnMethod,
    },
    /// Rút hồ sơ: any non-final state → withdrawn.
    Withdraw,
}

/// Why an action name (and its method or purpose) could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseActionError {
    /// No action has this name.
    #[error("unknown action '{0}'; expected one of {names}", names = Action::NAMES.join(", "))]
    UnknownAction(String),
    /// `return_result` without a method, or a method that is not counter, postal or online.
    #[error("return_result needs a method: counter, postal or online")]
    Method,
    /// `send_to_commune` without a purpose, or one that is not site_verification or posting.
    #[error("send_to_commune needs a purpose: site_verification or posting")]
    Purpose,
}

/// For callers whose errors carry a message (e.g. a field error on `/action`).
impl From<ParseActionError> for String {
    fn from(e: ParseActionError) -> String {
        e.to_string()
    }
}

impl Action {
    /// Every action name, in the order of a dossier's life.
    pub const NAMES: [&'static str; 13] = [
        "request_supplement",
        "receive_supplement",
        "start_appraisal",
        "send_to_commune",
        "send_to_tax_office",
        "return_to_registration_office",
        "record_tax_notice",
        "record_payment",
        "approve",
        "reject",
        "mark_result_ready",
        "return_result",
        "withdraw",
    ];

    /// The action's name (snake_case, as serde writes the tag).
    pub const fn name(&self) -> &'static str {
        match self {
            Action::RequestSupplement => "request_supplement",
            Action::ReceiveSupplement => "receive_supplement",
            Action::StartAppraisal => "start_appraisal",
            Action::SendToCommune { .. } => "send_to_commune",
            Action::SendToTaxOffice => "send_to_tax_office",
            Action::ReturnToRegistrationOffice => "return_to_registration_office",
            Action::RecordTaxNotice => "record_tax_notice",
            Action::RecordPayment => "record_payment",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::MarkResultReady => "mark_result_ready",
            Action::ReturnResult { .. } => "return_result",
            Action::Withdraw => "withdraw",
        }
    }

    /// The action named `name`; `method` (a [`ReturnMethod::as_str`] text) is required for
    /// `return_result` and `purpose` (a [`CommuneTask::as_str`] text) for `send_to_commune`;
    /// each is ignored otherwise — the shape of an event row (action, method, purpose).
    pub fn parse(name: &str, method: Option<&str>, purpose: Option<&str>) -> Result<Action, ParseActionError> {
        Ok(match name {
            "request_supplement" => Action::RequestSupplement,
            "receive_supplement" => Action::ReceiveSupplement,
            "start_appraisal" => Action::StartAppraisal,
            "send_to_commune" => Action::SendToCommune {
                purpose: purpose.and_then(CommuneTask::parse).ok_or(ParseActionError::Purpose)?,
            },
            "send_to_tax_office" => Action::SendToTaxOffice,
            "return_to_registration_office" => Action::ReturnToRegistrationOffice,
            "record_tax_notice" => Action::RecordTaxNotice,
            "record_payment" => Action::RecordPayment,
            "approve" => Action::Approve,
            "reject" => Action::Reject,
            "mark_result_ready" => Action::MarkResultReady,
            "return_result" => {
                Action::ReturnResult { method: method.and_then(ReturnMethod::parse).ok_or(ParseActionError::Method)? }
            }
            "withdraw" => Action::Withdraw,
            other => return Err(ParseActionError::UnknownAction(other.to_string())),
        })
    }

    /// One action of each name (`return_result` at the counter, `send_to_commune` for a site
    /// verification): what [`allowed_actions`] tries, since whether an action is allowed never
    /// depends on its data.
    fn one_of_each() -> [Action; 13] {
        [
            Action::RequestSupplement,
            Action::ReceiveSupplement,
            Action::StartAppraisal,
            Action::SendToCommune { purpose: CommuneTask::SiteVerification },
            Action::SendToTaxOffice,
            Action::ReturnToRegistrationOffice,
            Action::RecordTaxNotice,
            Action::RecordPayment,
            Action::Approve,
            Action::Reject,
            Action::MarkResultReady,
            Action::ReturnResult { method: ReturnMethod::Counter },
            Action::Withdraw,
        ]
    }
}

/// An action not allowed in the dossier's state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("action '{action}' is not allowed on a dossier in state '{from}'; allowed: {}", list_or_none(allowed))]
pub struct TransitionError {
    /// The state the dossier is in.
    pub from: State,
    /// The refused action's name.
    pub action: String,
    /// The actions allowed in `from` ([`allowed_actions`]).
    pub allowed: Vec<&'static str>,
}

fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "none (final state)".to_string()
    } else {
        names.join(", ")
    }
}

/// The state after `action` on a dossier in `state`, or why not (with the actions that are
/// allowed instead).
pub fn apply(state: State, action: &Action) -> Result<State, TransitionError> {
    transition(state, action).ok_or_else(|| TransitionError {
        from: state,
        action: action.name().to_string(),
        allowed: allowed_actions(state),
    })
}

/// The names of the actions [`apply`] accepts in `state`, in [`Action::NAMES`] order; empty for
/// a final state.
pub fn allowed_actions(state: State) -> Vec<&'static str> {
    Action::one_of_each().iter().filter(|action| transition(state, action).is_some()).map(Action::name).collect()
}

/// The transition table, the one place where transitions are decided. Every arm names its
/// states (no wildcard), so a new state or action does not compile until its transitions are
/// written down.
fn transition(state: State, action: &Action) -> Option<State> {
    use State::*;
    match action {
        Action::RequestSupplement => match state {
            Received | Appraising | AtCommune | AtTaxOffice => Some(SupplementRequested),
            SupplementRequested | AwaitingPayment | Approved | Rejected | ResultReady | Returned | Withdrawn => None,
        },
        Action::ReceiveSupplement => match state {
            SupplementRequested => Some(Received),
            Received | Appraising | AtCommune | AtTaxOffice | AwaitingPayment | Approved | Rejected | ResultReady
            | Returned | Withdrawn => None,
        },
        Action::StartAppraisal => match state {
            Received => Some(Appraising),
            SupplementRequested | Appraising | AtCommune | AtTaxOffice | AwaitingPayment | Approved | Rejected
            | ResultReady | Returned | Withdrawn => None,
        },
        // Whether the commune may have it never depends on what for.
        Action::SendToCommune { purpose: _ } => match state {
            Appraising => Some(AtCommune),
            Received | SupplementRequested | AtCommune | AtTaxOffice | AwaitingPayment | Approved | Rejected
            | ResultReady | Returned | Withdrawn => None,
        },
        Action::SendToTaxOffice => match state {
            Appraising => Some(AtTaxOffice),
            Received | SupplementRequested | AtCommune | AtTaxOffice | AwaitingPayment | Approved | Rejected
            | ResultReady | Returned | Withdrawn => None,
        },
        Action::ReturnToRegistrationOffice => match state {
            AtCommune | AtTaxOffice => Some(Appraising),
            Received | SupplementRequested | Appraising | AwaitingPayment | Approved | Rejected | ResultReady
            | Returned | Withdrawn => None,
        },
        Action::RecordTaxNotice => match state {
            AtTaxOffice => Some(AwaitingPayment),
            Received | SupplementRequested | Appraising | AtCommune | AwaitingPayment | Approved | Rejected
            | ResultReady | Returned | Withdrawn => None,
        },
        Action::RecordPayment => match state {
            AwaitingPayment => Some(Appraising),
            Received | SupplementRequested | Appraising | AtCommune | AtTaxOffice | Approved | Rejected
            | ResultReady | Returned | Withdrawn => None,
        },
        Action::Approve => match state {
            Appraising => Some(Approved),
            Received | SupplementRequested | AtCommune | AtTaxOffice | AwaitingPayment | Approved | Rejected
            | ResultReady | Returned | Withdrawn => None,
        },
        Action::Reject => match state {
            Received | Appraising => Some(Rejected),
            SupplementRequested | AtCommune | AtTaxOffice | AwaitingPayment | Approved | Rejected | ResultReady
            | Returned | Withdrawn => None,
        },
        Action::MarkResultReady => match state {
            Approved | Rejected => Some(ResultReady),
            Received | SupplementRequested | Appraising | AtCommune | AtTaxOffice | AwaitingPayment | ResultReady
            | Returned | Withdrawn => None,
        },
        // Whether a result may be returned never depends on how.
        Action::ReturnResult { method: _ } => match state {
            ResultReady => Some(Returned),
            Received | SupplementRequested | Appraising | AtCommune | AtTaxOffice | AwaitingPayment | Approved
            | Rejected | Returned | Withdrawn => None,
        },
        Action::Withdraw => match state {
            Received | SupplementRequested | Appraising | AtCommune | AtTaxOffice | AwaitingPayment | Approved
            | Rejected | ResultReady => Some(Withdrawn),
            Returned | Withdrawn => None,
        },
    }
}

/// Whether `state` waits on the applicant for a reason that may stop the clock
/// ([`State::pause_reason`]); the procedure's rules say whether it does. In a final state the
/// clock has ended rather than paused, so this is `false` there too.
pub fn pauses_clock(state: State) -> bool {
    state.pause_reason().is_some()
}

/// The tracking code (mã tra cứu) printed on the receipt slip: public tracking needs it with the
/// receipt number, so sequential receipt numbers cannot be walked. Six characters from an
/// alphabet without look-alikes (no 0/O, no 1/I/L), read out at a desk or typed on a phone.
pub mod tracking_code {
    /// The 31 characters a code is made of.
    pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    /// Characters in a code.
    pub const LEN: usize = 6;

    /// The code spelled by six random bytes (the caller brings the randomness; the bias of
    /// `% 31` on a byte is below 1 % per character and does not matter for a rate-limited secret).
    pub fn from_bytes(bytes: [u8; LEN]) -> String {
        bytes.iter().map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char).collect()
    }

    /// A code as typed: case, spaces and hyphens ignored ("abc-234" = "ABC234"). None when it
    /// cannot be a code.
    pub fn normalize(typed: &str) -> Option<String> {
        if typed.len() > 32 {
            return None;
        }
        let code: String = typed.chars().filter(|c| !matches!(c, ' ' | '-')).map(|c| c.to_ascii_uppercase()).collect();
        (code.len() == LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
    }

    /// Compares without stopping at the first difference.
    pub fn matches(stored: &str, typed: &str) -> bool {
        stored.len() == typed.len() && stored.bytes().zip(typed.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn codes_use_the_alphabet_and_typing_is_forgiving() {
            let code = from_bytes([0, 30, 31, 255, 100, 7]);
            assert_eq!(code.len(), LEN);
            assert_eq!(normalize(&code).as_deref(), Some(code.as_str()));
            assert_eq!(normalize("abc-234").as_deref(), Some("ABC234"));
            assert_eq!(normalize(" k7m 9pq ").as_deref(), Some("K7M9PQ"));
            assert_eq!(normalize("ABC23O"), None, "O is not in the alphabet");
            assert_eq!(normalize("ABC23"), None);
            assert_eq!(normalize(""), None);
            assert!(matches("ABC234", "ABC234"));
            assert!(!matches("ABC234", "ABC235"));
            assert!(!matches("ABC234", "ABC2345"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// Position of a state in [`State::ALL`], written as an exhaustive match: a new state must
    /// be given a position here, and then `all_lists_every_state` fails until it is in `ALL`.
    fn ordinal(state: State) -> usize {
        match state {
            State::Received => 0,
            State::SupplementRequested => 1,
            State::Appraising => 2,
            State::AtCommune => 3,
            State::AtTaxOffice => 4,
            State::AwaitingPayment => 5,
            State::Approved => 6,
            State::Rejected => 7,
            State::ResultReady => 8,
            State::Returned => 9,
            State::Withdrawn => 10,
        }
    }

    /// Same for actions and [`Action::NAMES`].
    fn action_ordinal(action: &Action) -> usize {
        match action {
            Action::RequestSupplement => 0,
            Action::ReceiveSupplement => 1,
            Action::StartAppraisal => 2,
            Action::SendToCommune { .. } => 3,
            Action::SendToTaxOffice => 4,
            Action::ReturnToRegistrationOffice => 5,
            Action::RecordTaxNotice => 6,
            Action::RecordPayment => 7,
            Action::Approve => 8,
            Action::Reject => 9,
            Action::MarkResultReady => 10,
            Action::ReturnResult { .. } => 11,
            Action::Withdraw => 12,
        }
    }

    #[test]
    fn all_lists_every_state_and_every_action_once() {
        let ordinals: Vec<usize> = State::ALL.iter().map(|&s| ordinal(s)).collect();
        assert_eq!(ordinals, (0..State::ALL.len()).collect::<Vec<_>>());
        let actions = Action::one_of_each();
        let ordinals: Vec<usize> = actions.iter().map(action_ordinal).collect();
        assert_eq!(ordinals, (0..Action::NAMES.len()).collect::<Vec<_>>());
        let names: Vec<&str> = actions.iter().map(Action::name).collect();
        assert_eq!(names, Action::NAMES);
    }

    use State::*;

    /// The whole transition table, written out state by state independently of `transition`:
    /// the actions each state allows and where they lead. Every pair not listed is refused.
    const ALLOWED: [(State, &[(&str, State)]); 11] = [
        (
            Received,
            &[
                ("request_supplement", SupplementRequested),
                ("start_appraisal", Appraising),
                ("reject", Rejected),
                ("withdraw", Withdrawn),
            ],
        ),
        (SupplementRequested, &[("receive_supplement", Received), ("withdraw", Withdrawn)]),
        (
            Appraising,
            &[
                ("request_supplement", SupplementRequested),
                ("send_to_commune", AtCommune),
                ("send_to_tax_office", AtTaxOffice),
                ("approve", Approved),
                ("reject", Rejected),
                ("withdraw", Withdrawn),
            ],
        ),
        (
            AtCommune,
            &[
                ("request_supplement", SupplementRequested),
                ("return_to_registration_office", Appraising),
                ("withdraw", Withdrawn),
            ],
        ),
        (
            AtTaxOffice,
            &[
                ("request_supplement", SupplementRequested),
                ("return_to_registration_office", Appraising),
                ("record_tax_notice", AwaitingPayment),
                ("withdraw", Withdrawn),
            ],
        ),
        (AwaitingPayment, &[("record_payment", Appraising), ("withdraw", Withdrawn)]),
        (Approved, &[("mark_result_ready", ResultReady), ("withdraw", Withdrawn)]),
        (Rejected, &[("mark_result_ready", ResultReady), ("withdraw", Withdrawn)]),
        (ResultReady, &[("return_result", Returned), ("withdraw", Withdrawn)]),
        (Returned, &[]),
        (Withdrawn, &[]),
    ];

    fn expected(state: State, name: &str) -> Option<State> {
        let (_, row) = ALLOWED.iter().find(|(s, _)| *s == state).expect("every state has a row");
        row.iter().find(|(a, _)| *a == name).map(|&(_, next)| next)
    }

    /// Every action, with every return method and every commune task.
    fn every_action() -> Vec<Action> {
        let mut actions: Vec<Action> = Action::one_of_each()
            .into_iter()
            .filter(|a| !matches!(a.name(), "return_result" | "send_to_commune"))
            .collect();
        actions.extend(ReturnMethod::ALL.map(|method| Action::ReturnResult { method }));
        actions.extend(CommuneTask::ALL.map(|purpose| Action::SendToCommune { purpose }));
        actions
    }

    #[test]
    fn the_table_names_only_real_states_and_actions() {
        let states: BTreeSet<State> = ALLOWED.iter().map(|(s, _)| *s).collect();
        assert_eq!(states, State::ALL.into_iter().collect());
        for (state, row) in ALLOWED {
            let names: BTreeSet<&str> = row.iter().map(|(a, _)| *a).collect();
            assert_eq!(names.len(), row.len(), "{state}: an action appears twice");
            assert!(names.iter().all(|n| Action::NAMES.contains(n)), "{state}: {names:?}");
        }
    }

    #[test]
    fn apply_agrees_with_the_table_for_every_pair() {
        for state in State::ALL {
            for action in every_action() {
                let result = apply(state, &action);
                match expected(state, action.name()) {
                    Some(next) => assert_eq!(result, Ok(next), "({state}, {action:?})"),
                    None => {
                        let err = result.expect_err(&format!("({state}, {action:?}) should be refused"));
                        assert_eq!(err.from, state);
                        assert_eq!(err.action, action.name());
                        assert_eq!(err.allowed, allowed_actions(state));
                    }
                }
            }
        }
    }

    #[test]
    fn allowed_actions_lists_the_table_rows_that_succeed() {
        for state in State::ALL {
            let from_table: Vec<&str> =
                Action::NAMES.into_iter().filter(|name| expected(state, name).is_some()).collect();
            assert_eq!(allowed_actions(state), from_table, "{state}");
        }
        assert_eq!(allowed_actions(Received), ["request_supplement", "start_appraisal", "reject", "withdraw"]);
    }

    #[test]
    fn final_states_allow_nothing() {
        for state in State::ALL.into_iter().filter(|s| s.is_final()) {
            assert!(allowed_actions(state).is_empty(), "{state}");
            for action in every_action() {
                assert!(apply(state, &action).is_err());
            }
        }
        let finals: Vec<State> = State::ALL.into_iter().filter(|s| s.is_final()).collect();
        assert_eq!(finals, [Returned, Withdrawn]);
    }

    #[test]
    fn withdraw_is_allowed_from_every_non_final_state() {
        for state in State::ALL.into_iter().filter(|s| !s.is_final()) {
            assert_eq!(apply(state, &Action::Withdraw), Ok(Withdrawn), "{state}");
        }
    }

    #[test]
    fn a_supplement_can_be_asked_at_every_step_that_works_on_the_dossier() {
        for state in [Received, Appraising, AtCommune, AtTaxOffice] {
            assert_eq!(apply(state, &Action::RequestSupplement), Ok(SupplementRequested), "{state}");
        }
        // It always comes back through the desk.
        assert_eq!(apply(SupplementRequested, &Action::ReceiveSupplement), Ok(Received));
    }

    #[test]
    fn the_waits_on_the_applicant_are_the_pause_reasons() {
        for state in State::ALL {
            let expected = match state {
                SupplementRequested => Some(PauseReason::Supplement),
                AwaitingPayment => Some(PauseReason::FinancialObligation),
                _ => None,
            };
            assert_eq!(state.pause_reason(), expected, "{state}");
            assert_eq!(pauses_clock(state), expected.is_some());
            // Whoever the clock waits on holds the dossier.
            if expected.is_some() {
                assert_eq!(state.holder(), Unit::Applicant, "{state}");
            }
        }
        assert!(pauses_clock(apply(AtTaxOffice, &Action::RecordTaxNotice).unwrap()));
        assert!(!pauses_clock(apply(AwaitingPayment, &Action::RecordPayment).unwrap()));
    }

    #[test]
    fn holders_along_a_transfer() {
        let route = [
            (Action::StartAppraisal, Unit::RegistrationOffice),
            (Action::SendToTaxOffice, Unit::TaxOffice),
            (Action::RecordTaxNotice, Unit::Applicant),
            (Action::RecordPayment, Unit::RegistrationOffice),
            (Action::Approve, Unit::RegistrationOffice),
            (Action::MarkResultReady, Unit::OneStop),
            (Action::ReturnResult { method: ReturnMethod::Postal }, Unit::Applicant),
        ];
        let mut state = Received;
        assert_eq!(state.holder(), Unit::OneStop);
        for (action, holder) in route {
            state = apply(state, &action).unwrap();
            assert_eq!(state.holder(), holder, "after {}", action.name());
        }
        assert_eq!(state, Returned);
    }

    #[test]
    fn text_forms_round_trip() {
        for state in State::ALL {
            assert_eq!(State::parse(state.as_str()), Some(state));
            assert_eq!(serde_json::to_value(state).unwrap(), serde_json::json!(state.as_str()));
            assert!(!state.label_vi().is_empty());
        }
        for unit in Unit::ALL {
            assert_eq!(serde_json::to_value(unit).unwrap(), serde_json::json!(unit.as_str()));
        }
        for reason in PauseReason::ALL {
            assert_eq!(PauseReason::parse(reason.as_str()), Some(reason));
        }
        assert_eq!(State::parse("Received"), None);
        for action in every_action() {
            let (method, purpose) = match action {
                Action::ReturnResult { method } => (Some(method.as_str()), None),
                Action::SendToCommune { purpose } => (None, Some(purpose.as_str())),
                _ => (None, None),
            };
            assert_eq!(Action::parse(action.name(), method, purpose), Ok(action));
            let json = serde_json::to_value(action).unwrap();
            assert_eq!(json["action"], action.name());
            assert_eq!(serde_json::from_value::<Action>(json).unwrap(), action);
        }
        assert_eq!(
            serde_json::from_str::<Action>(r#"{"action":"return_result","method":"postal"}"#).unwrap(),
            Action::ReturnResult { method: ReturnMethod::Postal }
        );
        assert_eq!(Action::parse("return_result", None, None), Err(ParseActionError::Method));
        assert_eq!(Action::parse("return_result", Some("fax"), None), Err(ParseActionError::Method));
        assert_eq!(Action::parse("send_to_commune", None, None), Err(ParseActionError::Purpose));
        assert_eq!(Action::parse("send_to_commune", None, Some("party")), Err(ParseActionError::Purpose));
        assert_eq!(Action::parse("approve", Some("postal"), Some("posting")), Ok(Action::Approve));
        assert!(matches!(Action::parse("archive", None, None), Err(ParseActionError::UnknownAction(_))));
    }

    #[test]
    fn postal_item_numbers() {
        assert!(ReturnMethod::Postal.needs_tracking_number());
        assert!(!ReturnMethod::Counter.needs_tracking_number());
        assert_eq!(normalize_tracking_number("eb 123 456 789 vn").as_deref(), Some("EB123456789VN"));
        assert_eq!(normalize_tracking_number("VTP-2026-000123").as_deref(), Some("VTP-2026-000123"));
        assert_eq!(normalize_tracking_number("12345"), None);
        assert_eq!(normalize_tracking_number("EB12345<6789VN"), None);
        assert_eq!(normalize_tracking_number(&"A".repeat(41)), None);
    }

    #[test]
    fn the_error_says_what_was_allowed() {
        let err = apply(Received, &Action::Approve).unwrap_err();
        assert_eq!(
            err.to_string(),
            "action 'approve' is not allowed on a dossier in state 'received'; allowed: request_supplement, start_appraisal, reject, withdraw"
        );
        let err = apply(Returned, &Action::Withdraw).unwrap_err();
        assert!(err.to_string().ends_with("allowed: none (final state)"), "{err}");
    }

    #[test]
    fn a_typical_life() {
        let life = [
            Action::RequestSupplement,
            Action::ReceiveSupplement,
            Action::StartAppraisal,
            Action::SendToCommune { purpose: CommuneTask::Posting },
            Action::ReturnToRegistrationOffice,
            Action::Approve,
            Action::MarkResultReady,
            Action::ReturnResult { method: ReturnMethod::Online },
        ];
        let end = life.iter().try_fold(Received, apply);
        assert_eq!(end, Ok(Returned));
    }

    /// The states reachable from `received` by the table.
    fn reachable() -> BTreeSet<State> {
        let mut seen = BTreeSet::from([Received]);
        let mut frontier = vec![Received];
        while let Some(state) = frontier.pop() {
            for &(_, next) in ALLOWED.iter().find(|(s, _)| *s == state).unwrap().1 {
                if seen.insert(next) {
                    frontier.push(next);
                }
            }
        }
        seen
    }

    #[test]
    fn every_state_is_reachable() {
        assert_eq!(reachable(), State::ALL.into_iter().collect());
    }

    proptest! {
        #[test]
        fn random_action_sequences_follow_the_table(picks in proptest::collection::vec(0usize..20, 0..60)) {
            let actions = every_action();
            let reachable = reachable();
            let mut state = Received;
            for pick in picks {
                let action = actions[pick % actions.len()];
                let was_final = state.is_final();
                match apply(state, &action) {
                    Ok(next) => {
                        prop_assert!(!was_final, "left final state {} by {:?}", state, action);
                        prop_assert_eq!(Some(next), expected(state, action.name()));
                        state = next;
                    }
                    Err(err) => {
                        prop_assert_eq!(expected(state, action.name()), None);
                        prop_assert_eq!(err.from, state);
                    }
                }
                prop_assert!(reachable.contains(&state));
                if was_final {
                    prop_assert!(state.is_final());
                }
            }
        }
    }
}
