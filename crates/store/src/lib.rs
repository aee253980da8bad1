//! The store: the only crate that talks to PostgreSQL/PostGIS. No HTTP here.
//!
//! Queries return diesel's `QueryResult` (or `anyhow` for start-up work such as migrations and
//! seeding); callers turn a failure into a [`StoreError`] (`From`), the one classification of
//! database errors (unique, foreign key, unavailable, timeout…) that layers above match on.

pub mod admin;
pub mod audit;
pub mod certificates;
pub mod checks;
pub mod dossiers;
mod error;
pub mod geometry;
pub mod parcels;
pub mod planning;
pub mod reference;
pub mod rights;
pub mod schema;
pub mod tiles;
pub mod users;

pub use error::StoreError;

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// The migrations compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

pub type DbPool = Pool<ConnectionManager<PgConnection>>;
pub type DbConn = PooledConnection<ConnectionManager<PgConnection>>;

/// Builds a connection pool; fails fast when the database cannot be reached.
pub fn pool(database_url: &str, max_size: u32) -> anyhow::Result<DbPool> {
    let manager = ConnectionManager::<PgConnection>::new(database_url);
    Pool::builder()
        .max_size(max_size)
        .connection_timeout(std::time::Duration::from_secs(10))
        .build(manager)
        .map_err(|e| anyhow::anyhow!("while connecting to the database: {e}"))
}

/// Runs pending migrations; returns the versions applied.
pub fn migrate(conn: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    let applied =
        conn.run_pending_migrations(MIGRATIONS).map_err(|e| anyhow::anyhow!("while running migrations: {e}"))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// Reverts every migration (used by the migration round-trip test).
pub fn revert_all(conn: &mut PgConnection) -> anyhow::Result<()> {
    conn.revert_all_migrations(MIGRATIONS).map_err(|e| anyhow::anyhow!("while reverting migrations: {e}"))?;
    Ok(())
}

/// Does the database answer?
pub fn ping(conn: &mut PgConnection) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT 1").execute(conn).map(|_| ())
}
