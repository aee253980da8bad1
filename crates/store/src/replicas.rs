//! Read replicas: hot standbys of the primary that take the anonymous public reads.
//!
//! One pool per replica. A replica that cannot give a connection within [`REPLICA_WAIT`] is
//! skipped for [`REPLICA_RETRY`], so while it is down reads go straight to the primary instead
//! of each paying the wait; then one read tries it again.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::r2d2::Pool;
use diesel::sql_types::{Double, Nullable};
use diesel::{QueryableByName, RunQueryDsl};

use crate::pool::Manager;
use crate::{DbConn, DbPool};

/// Longest wait for a replica's connection: a dead replica is noticed in about a second.
pub const REPLICA_WAIT: Duration = Duration::from_millis(1000);
/// How long a replica that failed is left alone before a read tries it again.
pub const REPLICA_RETRY: Duration = Duration::from_secs(5);

const REPLICA_LAG: &str = include_str!("sql/replica_lag.sql");

/// The read replicas, in configuration order (cheap to clone: shared).
#[derive(Clone, Default)]
pub struct Replicas {
    members: Arc<[Member]>,
    next: Arc<AtomicUsize>,
}

struct Member {
    pool: DbPool,
    /// Not asked again before this instant (it failed to give a connection).
    resting_until: Mutex<Option<Instant>>,
}

/// A connection on replica `index` (0-based, configuration order).
pub struct ReplicaConn {
    pub index: usize,
    pub conn: DbConn,
}

impl Replicas {
    /// No replica: every read runs on the primary.
    pub fn none() -> Replicas {
        Replicas::default()
    }

    /// One pool per URL, of at most `max_size` connections. Never fails: a replica that is
    /// down at start-up is only skipped until it answers (the primary is what must be there).
    pub fn connect(urls: &[String], max_size: u32) -> Replicas {
        let members = urls
            .iter()
            .map(|url| Member { pool: replica_pool(url, max_size), resting_until: Mutex::new(None) })
            .collect();
        Replicas { members, next: Arc::new(AtomicUsize::new(0)) }
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// The pools, in configuration order (for health reports).
    pub fn pools(&self) -> impl Iterator<Item = &DbPool> {
        self.members.iter().map(|m| &m.pool)
    }

    /// A connection from the next replica (round-robin) that gives one, skipping those that
    /// failed within [`REPLICA_RETRY`]; `None` when none can.
    pub fn get(&self) -> Option<ReplicaConn> {
        let n = self.members.len();
        if n == 0 {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for index in (0..n).map(|k| (start + k) % n) {
            let member = &self.members[index];
            if member.resting_until.lock().unwrap_or_else(|e| e.into_inner()).is_some_and(|t| Instant::now() < t) {
                continue;
            }
            match member.pool.get() {
                Ok(conn) => return Some(ReplicaConn { index, conn }),
                Err(_) => self.rest(index),
            }
        }
        None
    }

    /// Leaves replica `index` alone for [`REPLICA_RETRY`] (it failed a read or a connection).
    pub fn rest(&self, index: usize) {
        if let Some(member) = self.members.get(index) {
            *member.resting_until.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now() + REPLICA_RETRY);
        }
    }
}

/// A replica's pool: one idle connection kept (reads fall back to the primary, so a cold
/// replica costs nothing but a connect), a short wait, and no connection made before the
/// first use (`build_unchecked`).
fn replica_pool(database_url: &str, max_size: u32) -> DbPool {
    Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(REPLICA_WAIT)
        .build_unchecked(Manager::new(database_url))
}

/// Seconds the replica behind `conn` is behind its primary (0 when it has replayed all it
/// received); `None` when the server is not a replica.
pub fn replay_lag(conn: &mut PgConnection) -> diesel::QueryResult<Option<f64>> {
    #[derive(QueryableByName)]
    struct Lag {
        #[diesel(sql_type = Nullable<Double>)]
        lag_seconds: Option<f64>,
    }
    diesel::sql_query(REPLICA_LAG).get_result::<Lag>(conn).map(|l| l.lag_seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_replicas_nothing_is_handed_out() {
        assert!(Replicas::none().get().is_none());
        assert!(Replicas::none().is_empty());
    }

    #[test]
    fn a_replica_that_gives_no_connection_is_left_alone_for_a_while() {
        // Nothing listens on port 1: every connection is refused.
        let replicas = Replicas::connect(&["postgres://nobody@127.0.0.1:1/none".to_string()], 2);
        let started = Instant::now();
        assert!(replicas.get().is_none());
        assert!(started.elapsed() >= REPLICA_WAIT, "the pool waited for a connection: {:?}", started.elapsed());
        let again = Instant::now();
        assert!(replicas.get().is_none());
        assert!(again.elapsed() < REPLICA_WAIT / 2, "skipped while resting: {:?}", again.elapsed());
    }
}
