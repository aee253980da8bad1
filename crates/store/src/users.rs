//! Staff accounts and bearer tokens.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Bytea, Integer, Nullable, Text, Timestamptz};

#[derive(Debug, Clone, QueryableByName)]
pub struct UserRow {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Text)]
    pub username: String,
    #[diesel(sql_type = Text)]
    pub password_hash: String,
    #[diesel(sql_type = Text)]
    pub role: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub province_code: Option<String>,
    #[diesel(sql_type = Bool)]
    pub active: bool,
}

pub fn by_username(conn: &mut PgConnection, username: &str) -> QueryResult<Option<UserRow>> {
    diesel::sql_query("SELECT id, username, password_hash, role, province_code, active FROM users WHERE username = $1")
        .bind::<Text, _>(username)
        .get_result(conn)
        .optional()
}

/// The active user owning an unexpired token with this hash.
pub fn by_token(conn: &mut PgConnection, token_hash: &[u8]) -> QueryResult<Option<UserRow>> {
    diesel::sql_query(
        "SELECT u.id, u.username, u.password_hash, u.role, u.province_code, u.active FROM api_tokens t \
         JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.expires_at > now() AND u.active",
    )
    .bind::<Bytea, _>(token_hash)
    .get_result(conn)
    .optional()
}

pub fn insert(
    conn: &mut PgConnection,
    username: &str,
    full_name: &str,
    password_hash: &str,
    role: &str,
    province: Option<&str>,
) -> QueryResult<i32> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = Integer)]
        id: i32,
    }
    let row: Id = diesel::sql_query(
        "INSERT INTO users (username, full_name, password_hash, role, province_code) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind::<Text, _>(username)
    .bind::<Text, _>(full_name)
    .bind::<Text, _>(password_hash)
    .bind::<Text, _>(role)
    .bind::<Nullable<Text>, _>(province)
    .get_result(conn)?;
    Ok(row.id)
}

pub fn insert_token(
    conn: &mut PgConnection,
    token_hash: &[u8],
    user_id: i32,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::sql_query("INSERT INTO api_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)")
        .bind::<Bytea, _>(token_hash)
        .bind::<Integer, _>(user_id)
        .bind::<Timestamptz, _>(expires_at)
        .execute(conn)?;
    // Expired tokens are of no use to anyone: sweep them while we are here.
    diesel::sql_query("DELETE FROM api_tokens WHERE expires_at < now() - interval '1 day'").execute(conn)?;
    Ok(())
}
