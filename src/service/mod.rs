//! Use cases. Each public function is one use case and, when it writes, one transaction:
//! load through `store`, decide through `domain`, persist, append to the audit log.

pub mod audit;
pub mod auth;
pub mod authz;
pub mod certificates;
pub mod changes;
pub mod checks;
pub mod communes;
pub mod dossiers;
pub mod features;
pub mod federation;
pub mod imports;
pub mod notices;
pub mod parcels;
pub mod planning;
pub mod restrictions;
pub mod seed;
pub mod submissions;
pub mod tiles;

use serde::Serialize;

/// Where in the request a problem is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    /// JSON pointer into the request body.
    Pointer(String),
    /// Name of a query or path parameter.
    Parameter(String),
}

/// One problem with a request, pointing at the offending field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    #[serde(flatten)]
    pub location: Location,
    pub message: String,
    /// Extra facts (a location on the map, overlapping parcels …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

impl FieldError {
    pub fn pointer(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { location: Location::Pointer(pointer.into()), message: message.into(), detail: None }
    }
    pub fn parameter(name: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { location: Location::Parameter(name.into()), message: message.into(), detail: None }
    }
    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = Some(detail);
        self
    }
}

/// Everything a use case can fail with. The HTTP layer maps each variant to one status.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed request: syntax, types, unknown parameters (400).
    #[error("the request is malformed")]
    BadRequest(Vec<FieldError>),
    /// Well-formed but not acceptable: invalid geometry, unknown commune (422).
    #[error("the request is not valid")]
    Invalid(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(String),
    /// Conflicts with the state of the database: overlaps, duplicates (409).
    #[error("{message}")]
    Conflict { message: String, errors: Vec<FieldError> },
    #[error("authentication required")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    /// Too many failed sign-ins for the account or from the address, or too many public
    /// verifications from the address: try again after `retry_after` seconds (429 with
    /// `Retry-After`).
    #[error("too many requests; try again in {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    /// The body is larger than the route accepts (413).
    #[error("{0}")]
    TooLarge(String),
    #[error("database error while {context}")]
    Database { context: &'static str, source: store::StoreError },
    #[error("the database is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    pub fn invalid(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid(vec![FieldError::pointer(pointer, message)])
    }
    /// A database failure while doing `context`, classified by the store.
    /// Text the database cannot store is the client's error (422), not the server's.
    pub fn db(context: &'static str, source: impl Into<store::StoreError>) -> Self {
        match source.into() {
            store::StoreError::InvalidText => {
                Error::invalid("", "a text field contains a NUL character (\\u0000), which the register cannot store")
            }
            source => Error::Database { context, source },
        }
    }
    pub fn bad_parameter(name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::BadRequest(vec![FieldError::parameter(name, message)])
    }
}

/// A view as the JSON an audit entry keeps of it (`before` / `after`).
pub fn audit_json(view: &impl Serialize) -> Result<serde_json::Value, Error> {
    serde_json::to_value(view).map_err(|e| Error::Internal(anyhow::anyhow!("serialising the audit entry: {e}")))
}

/// Adds "while doing what" to a diesel error: `.context_db("loading the parcel")?`.
pub trait DbContext<T> {
    fn context_db(self, context: &'static str) -> Result<T, Error>;
}

impl<T> DbContext<T> for diesel::QueryResult<T> {
    fn context_db(self, context: &'static str) -> Result<T, Error> {
        self.map_err(|source| Error::db(context, source))
    }
}

impl From<diesel::result::Error> for Error {
    fn from(source: diesel::result::Error) -> Self {
        Error::db("running a transaction", source)
    }
}

/// Who is acting: a signed-in staff member.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i32,
    pub username: String,
    pub role: Role,
    /// None for an admin (all provinces).
    pub province_code: Option<String>,
}

/// Staff roles (the domain's; `users.role` is read into it by the store).
pub use domain::role::Role;

/// Tunables, with defaults; `crate::config` fills them from the file and the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Overlap with an active parcel below this area (m²) is a digitising sliver, not a conflict.
    pub sliver_tolerance_m2: f64,
    /// A parcel may stick out of its commune's boundary by at most this much (m²).
    pub boundary_tolerance_m2: f64,
    pub token_ttl: chrono::Duration,
    /// Largest page of features.
    pub max_limit: i64,
    pub default_limit: i64,
    /// Directory holding each office's Ed25519 signing seed (one file per province), outside
    /// the database: DIACHINH_KEY_DIR, default `var/keys/`.
    pub key_dir: std::path::PathBuf,
    /// Public base URL printed in certificate QR codes (`public_url`, DIACHINH_PUBLIC_URL;
    /// default `http://127.0.0.1:8080`, the development server). Only configuration sets it:
    /// never a request's `Host` or `X-Forwarded-Host`.
    pub public_base_url: String,
    /// Dossiers received after this local time count from the next working day.
    pub office_cutoff: chrono::NaiveTime,
    /// Late share (%) of completed dossiers at which the KPIs raise a flag.
    pub late_flag_pct: f64,
    /// Failed sign-ins allowed per account name, and per client address, within
    /// `sign_in_window`; past either, `POST /auth/token` answers 429 without checking a password.
    pub sign_in_failures_per_account: i64,
    pub sign_in_failures_per_client: i64,
    pub sign_in_window: chrono::Duration,
    /// Take the client's address from `X-Forwarded-For` (set it only behind a proxy that
    /// overwrites that header; DIACHINH_TRUST_FORWARDED_FOR). Default: the peer address.
    pub trust_forwarded_for: bool,
    /// Where the web map's files are (None: `./web`, else the source tree's).
    pub web_dir: Option<std::path::PathBuf>,
    /// Public certificate verifications (`GET /certificates/verify/{serial}`) allowed per
    /// client address and minute, counted in memory by each server process; past it, 429.
    pub verify_per_minute: u32,
    /// The mail spool the default notice sender appends to (`mail_spool`, DIACHINH_MAIL_SPOOL;
    /// default `var/mail/notices.mbox`): no notice leaves the machine.
    pub mail_spool: std::path::PathBuf,
    /// Size and count limits of an online submission's files.
    pub upload_limits: domain::dossier::submission::UploadLimits,
    /// What this server is in the province federation (`[federation]`; docs/FEDERATION.md): a
    /// national server refuses every write (`http::federation`).
    pub federation: store::federation::Scope,
}

/// The public base URL when none is configured: the development server (`diachinh serve`).
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

impl Default for Settings {
    fn default() -> Self {
        Settings {
            sliver_tolerance_m2: 0.1,
            boundary_tolerance_m2: 1.0,
            token_ttl: chrono::Duration::hours(8),
            max_limit: 10_000,
            default_limit: 100,
            key_dir: std::path::PathBuf::from("var/keys"),
            public_base_url: DEFAULT_PUBLIC_URL.to_string(),
            office_cutoff: chrono::NaiveTime::from_hms_opt(16, 30, 0).expect("valid time"),
            late_flag_pct: 5.0,
            sign_in_failures_per_account: 5,
            sign_in_failures_per_client: 20,
            sign_in_window: chrono::Duration::minutes(15),
            trust_forwarded_for: false,
            web_dir: None,
            verify_per_minute: 60,
            mail_spool: std::path::PathBuf::from("var/mail/notices.mbox"),
            upload_limits: domain::dossier::submission::UploadLimits::default(),
            federation: store::federation::Scope::Standalone,
        }
    }
}
