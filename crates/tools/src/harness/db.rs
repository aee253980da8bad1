//! Small SQL helpers on one diesel connection.

use anyhow::{anyhow, Context, Result};
use diesel::pg::PgConnection;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl};

/// `url` with its database name replaced (query string kept).
pub fn url_with_database(url: &str, db_name: &str) -> Result<String> {
    let (main, query) = url.split_once('?').map_or((url, None), |(m, q)| (m, Some(q)));
    // The URL may hold a password: not in the message.
    let scheme_end = main.find("://").ok_or_else(|| anyhow!("the database URL has no scheme (postgres://…)"))? + 3;
    let base = main[scheme_end..].find('/').map_or(main, |slash| &main[..scheme_end + slash]);
    Ok(match query {
        Some(q) => format!("{base}/{db_name}?{q}"),
        None => format!("{base}/{db_name}"),
    })
}

/// Runs a statement, its result ignored.
pub fn exec(conn: &mut PgConnection, sql: &str) -> Result<()> {
    diesel::sql_query(sql).execute(conn).with_context(|| format!("while running {sql}"))?;
    Ok(())
}

/// The row of [`scalar_i64`]: one bigint column named `n`.
#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The bigint column `n` of the one row `sql` returns.
pub fn scalar_i64(conn: &mut PgConnection, sql: &str) -> Result<i64> {
    Ok(diesel::sql_query(sql).get_result::<Count>(conn).with_context(|| format!("while running {sql}"))?.n)
}

/// [`scalar_i64`] with one text parameter (`$1`).
pub fn scalar_i64_with(conn: &mut PgConnection, sql: &str, value: &str) -> Result<i64> {
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(value)
        .get_result::<Count>(conn)
        .with_context(|| format!("while running {sql} with {value}"))?
        .n)
}

/// A SQL string literal.
pub fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Creates `db_name` on the server of `base_url` unless it exists.
pub fn create_database_if_missing(who: &str, base_url: &str, db_name: &str) -> Result<()> {
    let mut conn = PgConnection::establish(base_url).context("while connecting to the main database")?;
    if scalar_i64_with(&mut conn, "SELECT count(*) AS n FROM pg_database WHERE datname = $1", db_name)? == 0 {
        eprintln!("{who}: creating database {db_name}");
        exec(&mut conn, &format!("CREATE DATABASE {db_name}"))
            .with_context(|| format!("while creating database {db_name}"))?;
    }
    Ok(())
}

/// The comment on the connection's database (`COMMENT ON DATABASE`), if any.
pub fn database_comment(conn: &mut PgConnection) -> Result<Option<String>> {
    #[derive(QueryableByName)]
    struct Comment {
        #[diesel(sql_type = Nullable<Text>)]
        comment: Option<String>,
    }
    let c: Comment = diesel::sql_query(
        "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = current_database()",
    )
    .get_result(conn)
    .context("while reading the database comment")?;
    Ok(c.comment)
}

/// Runs `draw` with PostgreSQL's `random()` seeded with `seed` and a serial plan, so that the
/// same database gives the same draw.
pub fn with_fixed_seed<T>(
    conn: &mut PgConnection,
    seed: f64,
    draw: impl FnOnce(&mut PgConnection) -> Result<T>,
) -> Result<T> {
    exec(conn, "SET max_parallel_workers_per_gather = 0")?;
    exec(conn, &format!("SELECT setseed({seed})"))?;
    let drawn = draw(conn);
    let reset = exec(conn, "RESET max_parallel_workers_per_gather");
    let drawn = drawn?;
    reset?;
    Ok(drawn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_in_url() {
        assert_eq!(url_with_database("postgres://u@h:1/diachinh", "x").unwrap(), "postgres://u@h:1/x");
        assert_eq!(
            url_with_database("postgres://u@h:1/d?sslmode=disable", "x").unwrap(),
            "postgres://u@h:1/x?sslmode=disable"
        );
        assert_eq!(url_with_database("postgres://u@h:1", "x").unwrap(), "postgres://u@h:1/x");
        assert_eq!(
            url_with_database("postgres://u@h:1?sslmode=disable", "x").unwrap(),
            "postgres://u@h:1/x?sslmode=disable"
        );
        let err = url_with_database("nonsense:secret", "x").unwrap_err().to_string();
        assert!(!err.contains("secret"), "{err}");
    }

    #[test]
    fn literals_are_quoted() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal(""), "''");
    }
}
