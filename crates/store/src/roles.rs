//! Least privilege in the database: migrations and seeding run as the owner; the service
//! connects as a login that is a member of `diachinh_app`, owns nothing and has only the
//! grants of `sql/grants.sql` (re-applied by every [`crate::migrate`]).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

/// The group role holding the service's rights.
pub const APP_GROUP: &str = "diachinh_app";

/// Longest a statement of the service may run before PostgreSQL cancels it (a runaway
/// request must not hold a connection for ever; seeding and migrations run as the owner,
/// without it).
pub const SERVICE_STATEMENT_TIMEOUT: &str = "30s";

/// Creates or updates the service's login `login` with `password`, as a member of
/// [`APP_GROUP`]. Run as the owner (or a role that may create roles).
pub fn ensure_login(conn: &mut PgConnection, login: &str, password: &str) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::select((
            set_config("diachinh.login", login),
            set_config("diachinh.password", password),
            set_config("diachinh.statement_timeout", SERVICE_STATEMENT_TIMEOUT),
        ))
        .execute(conn)?;
        conn.batch_execute(include_str!("sql/service_login.sql"))
    })
}

/// Applies the service's grants in the connected database (idempotent).
pub fn apply_grants(conn: &mut PgConnection) -> QueryResult<()> {
    conn.batch_execute(include_str!("sql/grants.sql"))
}

diesel::define_sql_function! {
    /// PostgreSQL's `set_config(name, value, is_local)`, transaction-local here.
    #[sql_name = "set_config"]
    fn set_config_local(name: Text, value: Text, is_local: diesel::sql_types::Bool) -> Text;
}

fn set_config<'a>(name: &'a str, value: &'a str) -> set_config_local<&'a str, &'a str, bool> {
    set_config_local(name, value, true)
}
