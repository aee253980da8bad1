//! When the database goes away, requests fail fast with 503 and Retry-After instead of hanging,
//! and the service recovers by itself when the database comes back.

use std::time::Instant;

use diesel::{Connection, PgConnection, RunQueryDsl};

use crate::common::TestApp;

/// Takes the test's database away from the service: no new connections, and the service's
/// open ones terminated (what a restart of the database server looks like to the pool).
fn take_database_away(app: &TestApp, away: bool) {
    let name = app.db.url.rsplit('/').next().unwrap().to_string();
    let admin = app.db.url.replace(&format!("/{name}"), "/postgres");
    let mut conn = PgConnection::establish(&admin).unwrap();
    diesel::sql_query(format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS {}", !away)).execute(&mut conn).unwrap();
    if away {
        diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .execute(&mut conn)
        .unwrap();
    }
}

#[test]
fn without_its_database_the_service_answers_503_quickly_and_recovers() {
    let app = TestApp::spawn();
    assert_eq!(app.get("/readyz").status(), 200);

    take_database_away(&app, true);
    for path in ["/readyz", "/parcels/w3eqe7wvc8cd", "/collections/parcels/items?limit=1"] {
        let started = Instant::now();
        let r = app.get(path);
        let elapsed = started.elapsed();
        assert_eq!(r.status(), 503, "{path} without a database");
        assert!(r.headers().contains_key("retry-after"), "{path}: Retry-After");
        let body: serde_json::Value = r.json().unwrap();
        assert_eq!(body["status"], 503);
        assert!(body["request_id"].is_string(), "{body}");
        // Not a benchmark: a guard against hanging (the pool gives up after store::POOL_WAIT).
        assert!(elapsed < store::POOL_WAIT * 5, "{path} took {elapsed:?}");
        eprintln!("{path}: 503 after {elapsed:?}");
    }

    take_database_away(&app, false);
    let (status, body) = app.get_json("/readyz");
    assert_eq!(status, 200, "the next request after the database is back succeeds: {body}");
    assert_eq!(app.get("/collections/parcels/items?limit=1").status(), 200);

    // The pool refills its idle connections on its own threads after the outage; let them
    // finish before the process exits, so no thread is inside libpq's connect while exit
    // handlers run (that raced into a SIGSEGV once under load). Bounded: at most 10 s.
    let started = Instant::now();
    let max = app.pool.max_size();
    while app.pool.state().idle_connections < max && started.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
