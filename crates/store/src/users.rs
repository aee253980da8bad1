//! Staff accounts and bearer tokens.

use chrono::{DateTime, Utc};
use diesel::dsl::{now, IntervalDsl};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::Timestamptz;
use domain::role::Role;

use crate::enums::Stored;
use crate::schema::{api_tokens, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(Pg))]
pub struct UserRow {
    pub id: i32,
    pub username: String,
    pub password_hash: String,
    #[diesel(deserialize_as = Stored<Role>)]
    pub role: Role,
    pub province_code: Option<String>,
    pub active: bool,
}

pub fn by_username(conn: &mut PgConnection, username: &str) -> QueryResult<Option<UserRow>> {
    users::table.filter(users::username.eq(username)).select(UserRow::as_select()).first(conn).optional()
}

/// The active user owning an unexpired token with this hash.
pub fn by_token(conn: &mut PgConnection, token_hash: &[u8]) -> QueryResult<Option<UserRow>> {
    api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(api_tokens::expires_at.gt(now))
        .filter(users::active)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(
    conn: &mut PgConnection,
    username: &str,
    full_name: &str,
    password_hash: &str,
    role: Role,
    province: Option<&str>,
) -> QueryResult<i32> {
    diesel::insert_into(users::table)
        .values((
            users::username.eq(username),
            users::full_name.eq(full_name),
            users::password_hash.eq(password_hash),
            users::role.eq(role.as_str()),
            users::province_code.eq(province),
        ))
        .returning(users::id)
        .get_result(conn)
}

pub fn insert_token(
    conn: &mut PgConnection,
    token_hash: &[u8],
    user_id: i32,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::token_hash.eq(token_hash),
            api_tokens::user_id.eq(user_id),
            api_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    // Expired tokens are of no use to anyone: sweep them while we are here.
    diesel::delete(api_tokens::table.filter(api_tokens::expires_at.lt(now.into_sql::<Timestamptz>() - 1_i32.day())))
        .execute(conn)?;
    Ok(())
}

/// Revokes one token (sign-out); true when it existed.
pub fn delete_token(conn: &mut PgConnection, token_hash: &[u8]) -> QueryResult<bool> {
    Ok(diesel::delete(api_tokens::table.filter(api_tokens::token_hash.eq(token_hash))).execute(conn)? > 0)
}

/// Revokes every token of an account; how many there were.
pub fn delete_tokens_of(conn: &mut PgConnection, user_id: i32) -> QueryResult<usize> {
    diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq(user_id))).execute(conn)
}

/// Marks an account inactive (it can no longer sign in, its tokens stop working).
pub fn deactivate(conn: &mut PgConnection, user_id: i32) -> QueryResult<()> {
    diesel::update(users::table.find(user_id)).set(users::active.eq(false)).execute(conn)?;
    Ok(())
}

pub fn set_password_hash(conn: &mut PgConnection, user_id: i32, password_hash: &str) -> QueryResult<()> {
    diesel::update(users::table.find(user_id)).set(users::password_hash.eq(password_hash)).execute(conn)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Failed sign-ins (the throttle of `POST /auth/token`).

use crate::schema::sign_in_failures;

/// Failures of one key (account name or client address) since a moment, and the oldest of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: i64,
    pub oldest: Option<DateTime<Utc>>,
}

/// Failures of an account name since `since`.
pub fn failures_of_username(conn: &mut PgConnection, username: &str, since: DateTime<Utc>) -> QueryResult<Failures> {
    let (count, oldest) = sign_in_failures::table
        .filter(sign_in_failures::username.eq(username))
        .filter(sign_in_failures::counts_for_account)
        .filter(sign_in_failures::at.gt(since))
        .select((diesel::dsl::count_star(), diesel::dsl::min(sign_in_failures::at)))
        .first::<(i64, Option<DateTime<Utc>>)>(conn)?;
    Ok(Failures { count, oldest })
}

/// Failures from a client address since `since`.
pub fn failures_of_client(conn: &mut PgConnection, client: &str, since: DateTime<Utc>) -> QueryResult<Failures> {
    let (count, oldest) = sign_in_failures::table
        .filter(sign_in_failures::client.eq(client))
        .filter(sign_in_failures::at.gt(since))
        .select((diesel::dsl::count_star(), diesel::dsl::min(sign_in_failures::at)))
        .first::<(i64, Option<DateTime<Utc>>)>(conn)?;
    Ok(Failures { count, oldest })
}

/// Records a failed sign-in at `at`, and sweeps the failures older than `forget_before`.
pub fn record_failure(
    conn: &mut PgConnection,
    username: &str,
    client: &str,
    at: DateTime<Utc>,
    forget_before: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(sign_in_failures::table)
        .values((
            sign_in_failures::username.eq(username),
            sign_in_failures::client.eq(client),
            sign_in_failures::at.eq(at),
        ))
        .execute(conn)?;
    diesel::delete(sign_in_failures::table.filter(sign_in_failures::at.lt(forget_before))).execute(conn)?;
    Ok(())
}

/// Stops an account name's failures counting for the account (after a successful sign-in or
/// a password reset); they still count for the addresses they came from.
pub fn forgive_account(conn: &mut PgConnection, username: &str) -> QueryResult<()> {
    diesel::update(
        sign_in_failures::table
            .filter(sign_in_failures::username.eq(username))
            .filter(sign_in_failures::counts_for_account),
    )
    .set(sign_in_failures::counts_for_account.eq(false))
    .execute(conn)?;
    Ok(())
}
