//! Hồ sơ thủ tục hành chính — the life of a dossier at the one-stop shop (bộ phận một cửa), as
//! a state machine: [`apply`] takes a state and an action and gives the next state or a
//! [`TransitionError`] saying what was allowed instead.
//!
//! ```text
//! received             ── request_supplement ──▶ supplement_requested   (clock stops)
//! supplement_requested ── receive_supplement ──▶ received               (clock runs again)
//! received             ── start_appraisal ─────▶ appraising
//! appraising           ── approve ─────────────▶ approved
//! received, appraising ── reject ──────────────▶ rejected
//! approved, rejected   ── mark_result_ready ───▶ result_ready
//! result_ready         ── return_result ───────▶ returned               (final)
//! any non-final state  ── withdraw ────────────▶ withdrawn              (final)
//! ```
//!
//! Decisions the table encodes:
//! - `reject` is allowed from `received` (từ chối tại bộ phận một cửa — the desk refuses a
//!   dossier outside its competence or not eligible, Phiếu từ chối) as well as after appraisal;
//! - a supplement can be requested only at `received`: an appraiser who finds a gap sends the
//!   dossier back through the desk, which keeps one place where the clock stops;
//! - `withdraw` (rút hồ sơ) is allowed from every non-final state, even with a result ready;
//! - `returned` and `withdrawn` are final: nothing leaves them.

use serde::{Deserialize, Serialize};

/// Trạng thái hồ sơ — where a dossier is. Stored as [`State::as_str`] in a text column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Đã tiếp nhận: received complete and valid; the clock runs.
    Received,
    /// Yêu cầu bổ sung: the applicant was asked to supplement the dossier; the clock stops.
    SupplementRequested,
    /// Đang thẩm định: under appraisal by the land registration office.
    Appraising,
    /// Đã phê duyệt: approved by the competent authority.
    Approved,
    /// Từ chối: refused, at the desk or after appraisal (a written refusal is the result).
    Rejected,
    /// Có kết quả: the result (certificate, decision or refusal) is ready to hand back.
    ResultReady,
    /// Đã trả kết quả: the result was returned. Final.
    Returned,
    /// Đã rút hồ sơ: the applicant withdrew the dossier. Final.
    Withdrawn,
}

impl State {
    /// Every state, in the order of a dossier's life.
    pub const ALL: [State; 8] = [
        State::Received,
        State::SupplementRequested,
        State::Appraising,
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
            State::Approved => "approved",
            State::Rejected => "rejected",
            State::ResultReady => "result_ready",
            State::Returned => "returned",
            State::Withdrawn => "withdrawn",
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
            | State::Approved
            | State::Rejected
            | State::ResultReady => false,
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

/// Hình thức trả kết quả — how the result goes back to the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnMethod {
    /// Trực tiếp: at the one-stop-shop counter.
    Counter,
    /// Bưu chính công ích: by public postal service.
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
}

/// What an officer or the applicant does to a dossier. In JSON the action is tagged by its
/// name: `{"action": "approve"}`, `{"action": "return_result", "method": "postal"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Yêu cầu bổ sung hồ sơ: received → supplement_requested; stops the clock.
    RequestSupplement,
    /// Nhận hồ sơ bổ sung: supplement_requested → received; the clock runs again.
    ReceiveSupplement,
    /// Chuyển thẩm định: received → appraising.
    StartAppraisal,
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

/// Why an action name (and method) could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseActionError {
    /// No action has this name.
    #[error("unknown action '{0}'; expected one of {names}", names = Action::NAMES.join(", "))]
    UnknownAction(String),
    /// `return_result` without a method, or a method that is not counter, postal or online.
    #[error("return_result needs a method: counter, postal or online")]
    Method,
}

/// For callers whose errors carry a message (e.g. a field error on `/action`).
impl From<ParseActionError> for String {
    fn from(e: ParseActionError) -> String {
        e.to_string()
    }
}

impl Action {
    /// Every action name, in the order of a dossier's life.
    pub const NAMES: [&'static str; 8] = [
        "request_supplement",
        "receive_supplement",
        "start_appraisal",
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
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::MarkResultReady => "mark_result_ready",
            Action::ReturnResult { .. } => "return_result",
            Action::Withdraw => "withdraw",
        }
    }

    /// The action named `name`; `method` (a [`ReturnMethod::as_str`] text) is required for
    /// `return_result` and ignored otherwise — the shape of an event row (action, method).
    pub fn parse(name: &str, method: Option<&str>) -> Result<Action, ParseActionError> {
        Ok(match name {
            "request_supplement" => Action::RequestSupplement,
            "receive_supplement" => Action::ReceiveSupplement,
            "start_appraisal" => Action::StartAppraisal,
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

    /// One action of each name (`return_result` at the counter): what [`allowed_actions`]
    /// tries, since whether an action is allowed never depends on its data.
    fn one_of_each() -> [Action; 8] {
        [
            Action::RequestSupplement,
            Action::ReceiveSupplement,
            Action::StartAppraisal,
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
            Received => Some(SupplementRequested),
            SupplementRequested | Appraising | Approved | Rejected | ResultReady | Returned | Withdrawn => None,
        },
        Action::ReceiveSupplement => match state {
            SupplementRequested => Some(Received),
            Received | Appraising | Approved | Rejected | ResultReady | Returned | Withdrawn => None,
        },
        Action::StartAppraisal => match state {
            Received => Some(Appraising),
            SupplementRequested | Appraising | Approved | Rejected | ResultReady | Returned | Withdrawn => None,
        },
        Action::Approve => match state {
            Appraising => Some(Approved),
            Received | SupplementRequested | Approved | Rejected | ResultReady | Returned | Withdrawn => None,
        },
        Action::Reject => match state {
            Received | Appraising => Some(Rejected),
            SupplementRequested | Approved | Rejected | ResultReady | Returned | Withdrawn => None,
        },
        Action::MarkResultReady => match state {
            Approved | Rejected => Some(ResultReady),
            Received | SupplementRequested | Appraising | ResultReady | Returned | Withdrawn => None,
        },
        // Whether a result may be returned never depends on how.
        Action::ReturnResult { method: _ } => match state {
            ResultReady => Some(Returned),
            Received | SupplementRequested | Appraising | Approved | Rejected | Returned | Withdrawn => None,
        },
        Action::Withdraw => match state {
            Received | SupplementRequested | Appraising | Approved | Rejected | ResultReady => Some(Withdrawn),
            Returned | Withdrawn => None,
        },
    }
}

/// Whether the processing clock is stopped in `state` (only `supplement_requested`: the days
/// the applicant takes to supplement do not count against the time limit). In a final state
/// the clock has ended rather than paused, so this is `false` there too; see
/// [`State::is_final`].
pub fn pauses_clock(state: State) -> bool {
    match state {
        State::SupplementRequested => true,
        State::Received
        | State::Appraising
        | State::Approved
        | State::Rejected
        | State::ResultReady
        | State::Returned
        | State::Withdrawn => false,
    }
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
            State::Approved => 3,
            State::Rejected => 4,
            State::ResultReady => 5,
            State::Returned => 6,
            State::Withdrawn => 7,
        }
    }

    /// Same for actions and [`Action::NAMES`].
    fn action_ordinal(action: &Action) -> usize {
        match action {
            Action::RequestSupplement => 0,
            Action::ReceiveSupplement => 1,
            Action::StartAppraisal => 2,
            Action::Approve => 3,
            Action::Reject => 4,
            Action::MarkResultReady => 5,
            Action::ReturnResult { .. } => 6,
            Action::Withdraw => 7,
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

    /// The whole transition table: (state, action name) → next state, or None if refused.
    /// Written out pair by pair, independently of `transition`.
    const TABLE: [(State, &str, Option<State>); 64] = [
        (Received, "request_supplement", Some(SupplementRequested)),
        (Received, "receive_supplement", None),
        (Received, "start_appraisal", Some(Appraising)),
        (Received, "approve", None),
        (Received, "reject", Some(Rejected)),
        (Received, "mark_result_ready", None),
        (Received, "return_result", None),
        (Received, "withdraw", Some(Withdrawn)),
        (SupplementRequested, "request_supplement", None),
        (SupplementRequested, "receive_supplement", Some(Received)),
        (SupplementRequested, "start_appraisal", None),
        (SupplementRequested, "approve", None),
        (SupplementRequested, "reject", None),
        (SupplementRequested, "mark_result_ready", None),
        (SupplementRequested, "return_result", None),
        (SupplementRequested, "withdraw", Some(Withdrawn)),
        (Appraising, "request_supplement", None),
        (Appraising, "receive_supplement", None),
        (Appraising, "start_appraisal", None),
        (Appraising, "approve", Some(Approved)),
        (Appraising, "reject", Some(Rejected)),
        (Appraising, "mark_result_ready", None),
        (Appraising, "return_result", None),
        (Appraising, "withdraw", Some(Withdrawn)),
        (Approved, "request_supplement", None),
        (Approved, "receive_supplement", None),
        (Approved, "start_appraisal", None),
        (Approved, "approve", None),
        (Approved, "reject", None),
        (Approved, "mark_result_ready", Some(ResultReady)),
        (Approved, "return_result", None),
        (Approved, "withdraw", Some(Withdrawn)),
        (Rejected, "request_supplement", None),
        (Rejected, "receive_supplement", None),
        (Rejected, "start_appraisal", None),
        (Rejected, "approve", None),
        (Rejected, "reject", None),
        (Rejected, "mark_result_ready", Some(ResultReady)),
        (Rejected, "return_result", None),
        (Rejected, "withdraw", Some(Withdrawn)),
        (ResultReady, "request_supplement", None),
        (ResultReady, "receive_supplement", None),
        (ResultReady, "start_appraisal", None),
        (ResultReady, "approve", None),
        (ResultReady, "reject", None),
        (ResultReady, "mark_result_ready", None),
        (ResultReady, "return_result", Some(Returned)),
        (ResultReady, "withdraw", Some(Withdrawn)),
        (Returned, "request_supplement", None),
        (Returned, "receive_supplement", None),
        (Returned, "start_appraisal", None),
        (Returned, "approve", None),
        (Returned, "reject", None),
        (Returned, "mark_result_ready", None),
        (Returned, "return_result", None),
        (Returned, "withdraw", None),
        (Withdrawn, "request_supplement", None),
        (Withdrawn, "receive_supplement", None),
        (Withdrawn, "start_appraisal", None),
        (Withdrawn, "approve", None),
        (Withdrawn, "reject", None),
        (Withdrawn, "mark_result_ready", None),
        (Withdrawn, "return_result", None),
        (Withdrawn, "withdraw", None),
    ];

    fn expected(state: State, name: &str) -> Option<State> {
        TABLE.iter().find(|&&(s, a, _)| s == state && a == name).and_then(|&(_, _, next)| next)
    }

    /// Every action, with every return method.
    fn every_action() -> Vec<Action> {
        let mut actions: Vec<Action> =
            Action::one_of_each().into_iter().filter(|a| a.name() != "return_result").collect();
        actions.extend(ReturnMethod::ALL.map(|method| Action::ReturnResult { method }));
        actions
    }

    #[test]
    fn the_table_covers_every_state_action_pair_exactly_once() {
        let pairs: BTreeSet<(State, &str)> = TABLE.iter().map(|&(s, a, _)| (s, a)).collect();
        assert_eq!(pairs.len(), TABLE.len(), "a pair appears twice");
        for state in State::ALL {
            for name in Action::NAMES {
                assert!(pairs.contains(&(state, name)), "no row for ({state}, {name})");
            }
        }
        assert_eq!(TABLE.len(), State::ALL.len() * Action::NAMES.len());
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
    fn only_supplement_requested_pauses_the_clock() {
        for state in State::ALL {
            assert_eq!(pauses_clock(state), state == SupplementRequested, "{state}");
        }
        // The actions that stop and restart it.
        assert!(pauses_clock(apply(Received, &Action::RequestSupplement).unwrap()));
        assert!(!pauses_clock(apply(SupplementRequested, &Action::ReceiveSupplement).unwrap()));
    }

    #[test]
    fn text_forms_round_trip() {
        for state in State::ALL {
            assert_eq!(State::parse(state.as_str()), Some(state));
            assert_eq!(serde_json::to_value(state).unwrap(), serde_json::json!(state.as_str()));
        }
        assert_eq!(State::parse("Received"), None);
        for action in every_action() {
            let method = match action {
                Action::ReturnResult { method } => Some(method.as_str()),
                _ => None,
            };
            assert_eq!(Action::parse(action.name(), method), Ok(action));
            let json = serde_json::to_value(action).unwrap();
            assert_eq!(json["action"], action.name());
            assert_eq!(serde_json::from_value::<Action>(json).unwrap(), action);
        }
        assert_eq!(
            serde_json::from_str::<Action>(r#"{"action":"return_result","method":"postal"}"#).unwrap(),
            Action::ReturnResult { method: ReturnMethod::Postal }
        );
        assert_eq!(Action::parse("return_result", None), Err(ParseActionError::Method));
        assert_eq!(Action::parse("return_result", Some("fax")), Err(ParseActionError::Method));
        assert_eq!(Action::parse("approve", Some("postal")), Ok(Action::Approve));
        assert!(matches!(Action::parse("archive", None), Err(ParseActionError::UnknownAction(_))));
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
            for &(_, _, next) in TABLE.iter().filter(|row| row.0 == state) {
                if let Some(next) = next {
                    if seen.insert(next) {
                        frontier.push(next);
                    }
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
        fn random_action_sequences_follow_the_table(picks in proptest::collection::vec(0usize..10, 0..40)) {
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
