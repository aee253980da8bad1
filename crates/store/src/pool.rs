//! The connection pool: r2d2 over diesel's `PgConnection`, without a round trip on every
//! checkout, and never handing out twice a connection the database has closed.
//!
//! r2d2 with diesel's `ConnectionManager` sends `SELECT 1` each time it hands out a connection
//! (`test_on_check_out`): a second transaction for every request. Diesel itself only knows a
//! connection is broken when its transaction manager is (`R2D2Connection::is_broken`), so
//! without that test a connection closed by a restart of the database would stay in the pool
//! and fail a request each time it is handed out. [`Manager`] watches each connection's
//! statements instead (a diesel `Instrumentation` on it, [`Watch`]) and tests a connection on
//! checkout only when there is a reason to doubt it:
//!
//! - a statement on it failed because the connection is closed (diesel's `ClosedConnection`,
//!   which it reports whenever libpq's status is `CONNECTION_BAD`, or `UnableToSendCommand`):
//!   it is dropped when it goes back to the pool ([`Manager::has_broken`]), never handed out
//!   again;
//! - such a failure was seen on **any** connection of the pool since this one was last known
//!   to work (made, or answered a test): a restart closes them all at once, so every other one
//!   is tested on its next checkout (the pool's count of losses, [`Shared::losses`]);
//! - a statement on it failed for another reason (the connection might be going away);
//! - it has been idle longer than [`PING_IF_IDLE`]: a restart while nothing was asked (the
//!   database cannot stop and start again within that time), or a firewall or proxy that closes
//!   idle connections.
//!
//! What a request can still meet: a connection closed in the instant before it was handed out,
//! when no statement had failed yet (e.g. `pg_terminate_backend`, or a restart faster than
//! [`PING_IF_IDLE`] with no request in between). Its statement fails, [`lost`] says so, and
//! every other connection is tested before its next use. Reads retry once on another
//! connection (`http::with_read_conn`); writes are not retried, the client gets a 503.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ConnectionManager, ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::Connection;

/// A connection idle longer than this is tested (`SELECT 1`) before it is handed out. Shorter
/// than a restart of PostgreSQL (`pg_ctl stop -m fast` and start: 0.3–0.6 s measured here, on a
/// small test cluster), far longer than a connection waits between requests under load (well
/// under a millisecond at thousands of requests a second); below ~10 requests a second per
/// connection the test costs a round trip, which such a load does not feel.
pub const PING_IF_IDLE: Duration = Duration::from_millis(100);

pub type DbPool = Pool<Manager>;
pub type DbConn = PooledConnection<Manager>;

/// What the connections of one pool share.
#[derive(Debug)]
struct Shared {
    /// Connections of this pool found closed by the database so far.
    losses: AtomicU64,
    ping_if_idle: Duration,
}

/// The r2d2 manager: diesel's, plus the watch on each connection.
#[derive(Debug)]
pub struct Manager {
    inner: ConnectionManager<PgConnection>,
    shared: Arc<Shared>,
}

impl Manager {
    /// Connections to `database_url`, tested when idle longer than [`PING_IF_IDLE`].
    pub fn new(database_url: &str) -> Manager {
        Manager::with_ping_if_idle(database_url, PING_IF_IDLE)
    }

    /// With another idle limit (tests use a long one, so that only a failure causes a test).
    pub fn with_ping_if_idle(database_url: &str, ping_if_idle: Duration) -> Manager {
        Manager {
            inner: ConnectionManager::new(database_url),
            shared: Arc::new(Shared { losses: AtomicU64::new(0), ping_if_idle }),
        }
    }

    /// A counter of this pool's connections found closed by the database (for tests and
    /// reports; the pool keeps the manager to itself).
    pub fn losses(&self) -> Losses {
        Losses(self.shared.clone())
    }
}

/// How many connections of a pool the database closed under it (see [`Manager::losses`]).
#[derive(Debug, Clone)]
pub struct Losses(Arc<Shared>);

impl Losses {
    pub fn count(&self) -> u64 {
        self.0.losses.load(Ordering::Acquire)
    }
}

/// How a connection has fared, kept in it as its diesel instrumentation.
struct Watch {
    shared: Arc<Shared>,
    /// A statement found the connection closed: it is never used again.
    lost: bool,
    /// A statement failed for another reason: test the connection before trusting it.
    doubtful: bool,
    /// The pool's [`Shared::losses`] when this connection last proved to work.
    verified_at: u64,
    /// When it last went back to the pool (or was made).
    idle_since: Instant,
}

impl Watch {
    fn new(shared: Arc<Shared>) -> Watch {
        let verified_at = shared.losses.load(Ordering::Acquire);
        Watch { shared, lost: false, doubtful: false, verified_at, idle_since: Instant::now() }
    }

    fn failed(&mut self, error: &DieselError) {
        if closes_the_connection(error) {
            if !self.lost {
                self.lost = true;
                self.shared.losses.fetch_add(1, Ordering::AcqRel);
            }
        } else {
            self.doubtful = true;
        }
    }

    /// Worth a `SELECT 1` before the connection is handed out?
    fn in_doubt(&self) -> bool {
        self.lost
            || self.doubtful
            || self.verified_at < self.shared.losses.load(Ordering::Acquire)
            || self.idle_since.elapsed() > self.shared.ping_if_idle
    }
}

impl Instrumentation for Watch {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::FinishQuery { error: Some(error), .. } = event {
            self.failed(error);
        }
    }
}

/// The errors after which libpq's connection is unusable: diesel reports `ClosedConnection`
/// whenever libpq's status is `CONNECTION_BAD` (or the server said SQLSTATE class 08), and
/// `UnableToSendCommand` when libpq could not send the statement at all.
fn closes_the_connection(error: &DieselError) -> bool {
    matches!(
        error,
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _)
    )
}

fn watch(conn: &mut PgConnection) -> Option<&mut Watch> {
    conn.instrumentation().downcast_mut::<Watch>()
}

impl ManageConnection for Manager {
    type Connection = PgConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<PgConnection, r2d2::Error> {
        let mut conn = self.inner.connect()?;
        conn.set_instrumentation(Watch::new(self.shared.clone()));
        Ok(conn)
    }

    /// Called on every checkout: a round trip only for a connection in doubt.
    fn is_valid(&self, conn: &mut PgConnection) -> Result<(), r2d2::Error> {
        let losses = self.shared.losses.load(Ordering::Acquire);
        if watch(conn).is_some_and(|w| !w.in_doubt()) {
            return Ok(());
        }
        if watch(conn).is_some_and(|w| w.lost) {
            return Err(r2d2::Error::QueryError(DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection,
                Box::new("the database closed this connection".to_string()),
            )));
        }
        // A failed test marks the connection lost through its watch (and r2d2 drops it).
        conn.ping().map_err(r2d2::Error::QueryError)?;
        if let Some(w) = watch(conn) {
            w.doubtful = false;
            w.verified_at = losses;
        }
        Ok(())
    }

    /// Called when a connection goes back to the pool: a closed one is dropped.
    fn has_broken(&self, conn: &mut PgConnection) -> bool {
        let lost = match watch(conn) {
            Some(w) => {
                w.idle_since = Instant::now();
                w.lost
            }
            None => false,
        };
        lost || self.inner.has_broken(conn)
    }
}

/// Did the database close `conn`? Asked after a statement failed: true when the failure was a
/// closed connection; when it failed otherwise, a `SELECT 1` finds out. The pool drops a lost
/// connection when it goes back, and tests every other one before handing it out again, so a
/// read that failed this way can run again at once on a connection from the pool.
pub fn lost(conn: &mut DbConn) -> bool {
    let conn: &mut PgConnection = conn;
    match watch(conn) {
        Some(w) if w.lost => true,
        Some(w) if w.doubtful => conn.ping().is_err() && watch(conn).is_some_and(|w| w.lost),
        _ => false,
    }
}

/// Runs the read `f` on a connection from `pool`, and once more on another when the database
/// had closed the first one ([`lost`]): e.g. the health probes.
pub fn read<T>(pool: &DbPool, f: impl Fn(&mut DbConn) -> diesel::QueryResult<T>) -> Result<T, crate::StoreError> {
    let mut conn = pool.get()?;
    match f(&mut conn) {
        Err(_) if lost(&mut conn) => {
            drop(conn);
            Ok(f(&mut pool.get()?)?)
        }
        done => Ok(done?),
    }
}

/// Builds a pool of at most `max_size` connections that a request waits at most `wait` for.
pub fn build(manager: Manager, max_size: u32, wait: Duration) -> Result<DbPool, r2d2::PoolError> {
    Pool::builder()
        .max_size(max_size)
        .connection_timeout(wait)
        // `Manager::is_valid` decides whether the checkout costs a round trip.
        .test_on_check_out(true)
        .build(manager)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed() -> DieselError {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, Box::new("gone".to_string()))
    }

    fn shared(ping_if_idle: Duration) -> Arc<Shared> {
        Arc::new(Shared { losses: AtomicU64::new(0), ping_if_idle })
    }

    #[test]
    fn a_closed_connection_is_lost_and_puts_every_other_in_doubt() {
        let shared = shared(Duration::from_secs(60));
        let mut a = Watch::new(shared.clone());
        let b = Watch::new(shared.clone());
        assert!(!a.in_doubt() && !b.in_doubt(), "fresh connections are trusted");
        a.failed(&closed());
        assert!(a.lost && a.in_doubt());
        assert!(b.in_doubt(), "a loss on one connection puts the others in doubt");
        assert_eq!(shared.losses.load(Ordering::Acquire), 1);
        a.failed(&closed());
        assert_eq!(shared.losses.load(Ordering::Acquire), 1, "one connection is lost once");
        let c = Watch::new(shared.clone());
        assert!(!c.in_doubt(), "a connection made after the loss is trusted");
    }

    #[test]
    fn unable_to_send_is_a_closed_connection_and_other_failures_only_raise_doubt() {
        let shared = shared(Duration::from_secs(60));
        let mut w = Watch::new(shared.clone());
        w.failed(&DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, Box::new("dup".to_string())));
        assert!(!w.lost && w.doubtful && w.in_doubt());
        assert_eq!(shared.losses.load(Ordering::Acquire), 0);
        w.failed(&DieselError::DatabaseError(DatabaseErrorKind::UnableToSendCommand, Box::new("EPIPE".to_string())));
        assert!(w.lost);
        assert_eq!(shared.losses.load(Ordering::Acquire), 1);
    }

    #[test]
    fn an_idle_connection_is_in_doubt() {
        let mut w = Watch::new(shared(Duration::from_millis(20)));
        assert!(!w.in_doubt());
        w.idle_since = Instant::now() - Duration::from_millis(50);
        assert!(w.in_doubt());
    }
}
