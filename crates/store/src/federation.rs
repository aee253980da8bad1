//! Province federation over PostgreSQL logical replication (docs/FEDERATION.md). What a
//! database is — standalone, one province's node, or the national copy — is kept in the
//! database (`federation_scope`, migration 000020) and enforced there by triggers and grants;
//! these are the calls of the SQL functions that set it up and report it.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use serde::{Deserialize, Serialize};

/// What a database is in the federation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawScope", into = "RawScope")]
pub enum Scope {
    /// One database for everything (the default): no guards, no replication.
    #[default]
    Standalone,
    /// The register of one province (its 2-digit code), published for the national node.
    Province(String),
    /// The national read-only copy, subscribed to every province.
    National,
}

/// A scope as the database and the configuration write it: `mode` and `province_code`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RawScope {
    mode: String,
    province_code: Option<String>,
}

impl TryFrom<RawScope> for Scope {
    type Error = String;
    fn try_from(raw: RawScope) -> Result<Scope, String> {
        Scope::parse(&raw.mode, raw.province_code.as_deref())
    }
}

impl From<Scope> for RawScope {
    fn from(scope: Scope) -> RawScope {
        RawScope { mode: scope.mode().to_string(), province_code: scope.province_code().map(str::to_string) }
    }
}

impl Scope {
    /// A mode and, for a province, its 2-digit code (only then).
    pub fn parse(mode: &str, province_code: Option<&str>) -> Result<Scope, String> {
        let code = province_code.map(str::trim).filter(|c| !c.is_empty());
        match (mode.trim(), code) {
            ("standalone", None) => Ok(Scope::Standalone),
            ("national", None) => Ok(Scope::National),
            ("province", Some(c)) if c.len() == 2 && c.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(Scope::Province(c.to_string()))
            }
            ("province", Some(c)) => Err(format!("province {c}: a province code has 2 digits, e.g. 92")),
            ("province", None) => Err("mode province needs the province's code (province = \"92\")".into()),
            ("standalone" | "national", Some(c)) => Err(format!("mode {mode} takes no province (got {c})")),
            (other, _) => Err(format!("mode {other}: standalone, province or national")),
        }
    }

    /// `standalone`, `province`, `national`.
    pub fn mode(&self) -> &'static str {
        match self {
            Scope::Standalone => "standalone",
            Scope::Province(_) => "province",
            Scope::National => "national",
        }
    }

    pub fn province_code(&self) -> Option<&str> {
        match self {
            Scope::Province(code) => Some(code),
            _ => None,
        }
    }

    /// The publication (and the national node's subscription) of a province.
    pub fn publication_of(province_code: &str) -> String {
        format!("diachinh_{province_code}")
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Province(code) => write!(f, "province {code}"),
            other => f.write_str(other.mode()),
        }
    }
}

/// What a node says about itself (`federation_node()`): a subscriber checks it first.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Node {
    #[serde(flatten)]
    pub scope: Scope,
    /// The newest migration applied.
    pub schema_version: Option<String>,
    /// Digest of the reference data every node must hold identically (admin unit ids included).
    pub reference_fingerprint: String,
}

/// A node's replication state (`federation_status()`), for `diachinh federation status`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status {
    #[serde(flatten)]
    pub scope: Scope,
    pub applied_at: chrono::DateTime<chrono::Utc>,
    /// Tables no migration classified: they are neither published nor guarded.
    pub unclassified_tables: Vec<String>,
    pub publications: Vec<PublicationStatus>,
    pub slots: Vec<SlotStatus>,
    pub subscriptions: Vec<SubscriptionStatus>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicationStatus {
    pub name: String,
    pub tables: i64,
}

/// A replication slot of this (province) node: a subscriber's position.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SlotStatus {
    pub name: String,
    pub active: bool,
    /// WAL the subscriber has not confirmed yet.
    pub lag_bytes: Option<f64>,
}

/// A subscription of this (national) node to one province.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubscriptionStatus {
    pub name: String,
    pub enabled: bool,
    pub worker_running: bool,
    pub received_lsn: Option<String>,
    pub last_message_at: Option<chrono::DateTime<chrono::Utc>>,
}

diesel::define_sql_function! {
    /// Makes the database a node (migration 000020); returns `federation_node()`.
    fn federation_apply_scope(mode: Text, province: Nullable<Text>) -> Text
}
diesel::define_sql_function! {
    /// The node's scope, schema version and reference fingerprint, JSON text.
    fn federation_node() -> Text
}
diesel::define_sql_function! {
    /// Creates or refreshes the province's publication and the subscriber's login.
    fn federation_publish(login: Nullable<Text>, password: Nullable<Text>) -> Array<Text>
}
diesel::define_sql_function! {
    /// The statements that subscribe to a province, quoted by the database.
    fn federation_subscription_statements(province: Text, conninfo: Text) -> Array<Text>
}
diesel::define_sql_function! {
    /// The node's replication state, JSON text.
    fn federation_status() -> Text
}

fn json<T: serde::de::DeserializeOwned>(text: String) -> QueryResult<T> {
    serde_json::from_str(&text).map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

/// What this database is.
pub fn node(conn: &mut PgConnection) -> QueryResult<Node> {
    json(diesel::select(federation_node()).get_result(conn)?)
}

/// Makes this database the node `scope` (never [`Scope::Standalone`]); run as the owner. The
/// database refuses a second, different scope, and a first one over register rows.
pub fn apply_scope(conn: &mut PgConnection, scope: &Scope) -> QueryResult<Node> {
    json(diesel::select(federation_apply_scope(scope.mode(), scope.province_code())).get_result(conn)?)
}

/// Province: publishes the register's tables and (when `login` is given) makes the login a
/// national node subscribes as. Returns the published tables.
pub fn publish(conn: &mut PgConnection, login: Option<&str>, password: Option<&str>) -> QueryResult<Vec<String>> {
    diesel::select(federation_publish(login, password)).get_result(conn)
}

/// National: subscribes to (or refreshes the subscription of) province `province_code`'s
/// publication at `conninfo`. Each statement runs on its own, outside any transaction, as
/// PostgreSQL requires of CREATE SUBSCRIPTION.
pub fn subscribe(conn: &mut PgConnection, province_code: &str, conninfo: &str) -> QueryResult<()> {
    let statements: Vec<String> =
        diesel::select(federation_subscription_statements(province_code, conninfo)).get_result(conn)?;
    statements.iter().try_for_each(|s| conn.batch_execute(s))
}

/// This node's replication state.
pub fn status(conn: &mut PgConnection) -> QueryResult<Status> {
    json(diesel::select(federation_status()).get_result(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_read_back() {
        assert_eq!(Scope::parse("province", Some("92")), Ok(Scope::Province("92".into())));
        assert_eq!(Scope::parse("national", None), Ok(Scope::National));
        assert!(Scope::parse("province", None).is_err());
        assert!(Scope::parse("province", Some("9")).is_err());
        assert!(Scope::parse("national", Some("92")).is_err());
        assert!(Scope::parse("federal", None).is_err());
        let node: Node = serde_json::from_str(
            r#"{"mode": "province", "province_code": "92", "schema_version": "1", "reference_fingerprint": "x"}"#,
        )
        .unwrap();
        assert_eq!(node.scope, Scope::Province("92".into()));
        let text = serde_json::to_string(&Scope::National).unwrap();
        assert_eq!(text, r#"{"mode":"national","province_code":null}"#);
    }
}
