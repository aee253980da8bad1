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
