//! When the database goes away, requests fail fast with 503 and Retry-After instead of hanging,
//! and the service recovers by itself when the database comes back; after a restart of the
//! database, no public read fails (`store::pool`).

use std::net::TcpListener;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use diachinh::cluster::Cluster;
use diachinh::service::Settings;
use diesel::{Connection, PgConnection, RunQueryDsl};

use crate::common::{TestApp, TestDb};
use crate::replicas::{parcel_body, LonePrimary};

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

/// Public reads of the kinds the pool serves most: one parcel (OGC and plain), a page, a
/// lookup, and the readiness probe.
fn public_paths(base: &str) -> Vec<String> {
    let client = reqwest::blocking::Client::new();
    let parcel: serde_json::Value = client
        .get(format!("{base}/parcels/lookup?commune=31507&sheet=1&parcel=2"))
        .send()
        .and_then(|r| r.json())
        .expect("the sample parcel");
    let id = parcel["id"].as_str().expect("the sample parcel has an id").to_string();
    vec![
        format!("/collections/parcels/items/{id}"),
        format!("/parcels/{id}"),
        "/collections/parcels/items?limit=5".into(),
        "/parcels/lookup?commune=31507&sheet=1&parcel=2".into(),
        "/readyz".into(),
    ]
}

/// `clients` clients at once (they start together), each GETting every path `rounds` times;
/// returns every answer that was not 200.
fn read_at_once(base: &str, paths: &[String], clients: usize, rounds: usize) -> Vec<String> {
    let start = Barrier::new(clients);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..clients)
            .map(|k| {
                let start = &start;
                s.spawn(move || {
                    let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
                    let mut failed = Vec::new();
                    start.wait();
                    for i in 0..rounds * paths.len() {
                        // Each client starts at another path, so the first requests mix them.
                        let path = &paths[(i + k) % paths.len()];
                        match client.get(format!("{base}{path}")).send() {
                            Ok(r) if r.status() == 200 => {}
                            Ok(r) => failed.push(format!("{path}: {} {}", r.status(), r.text().unwrap_or_default())),
                            Err(e) => failed.push(format!("{path}: {e}")),
                        }
                    }
                    failed
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    })
}

/// Stops the database server (`pg_ctl stop -m fast`: every connection closed) and starts it
/// again; returns how long it was away.
fn restart(cluster: &Cluster) -> Duration {
    let started = Instant::now();
    cluster.stop().unwrap();
    cluster.start().unwrap();
    started.elapsed()
}

/// A real restart of PostgreSQL under the running service: the write and every public read
/// after it succeed. The pooled connections were idle longer than `store::pool::PING_IF_IDLE`
/// (a restart takes longer), so each is tested before it is handed out.
#[test]
fn after_a_restart_of_the_database_no_request_fails() {
    let primary = LonePrimary::start();
    let app = TestApp::spawn_on(TestDb::on(&primary.cluster), store::Replicas::none(), Settings::default());
    let officer = app.token("officer92");
    let paths = public_paths(&app.base);
    assert_eq!(read_at_once(&app.base, &paths, 8, 2), Vec::<String>::new(), "before the restart");
    let pooled = app.pool.state().connections;

    let away = restart(&primary.cluster);
    eprintln!("restarted in {away:?} under {pooled} pooled connections");
    assert!(away > store::pool::PING_IF_IDLE, "a restart takes longer than the idle limit: {away:?}");
    let (status, created) = app.post_json(&officer, "/parcels", &parcel_body());
    assert_eq!(status, 201, "the first request after the restart, a staff write: {created}");
    assert_eq!(read_at_once(&app.base, &paths, 8, 3), Vec::<String>::new(), "after the restart");

    let away = restart(&primary.cluster);
    eprintln!("restarted again in {away:?}");
    assert_eq!(read_at_once(&app.base, &paths, 8, 3), Vec::<String>::new(), "public reads first after the restart");
    let id = created["id"].as_str().unwrap();
    let (status, mine) = app.get_json_auth(&officer, &format!("/parcels/{id}"));
    assert_eq!(status, 200, "a staff read: {mine}");
}

/// A server on `pool` (the test builds the pool), on a free loopback port.
struct Service {
    base: String,
    handle: actix_web::dev::ServerHandle,
    client: reqwest::blocking::Client,
}

impl Service {
    fn start(pool: store::DbPool) -> Service {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let settings = Settings { public_base_url: base.clone(), ..Settings::default() };
        let state = diachinh::http::AppState { pool, replicas: store::Replicas::none(), settings };
        let handle = crate::common::serve_in_background(listener, state);
        let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        Service { base, handle, client }
    }

    fn sign_in(&self, username: &str) -> reqwest::blocking::Response {
        let body = serde_json::json!({"username": username, "password": crate::common::PASSWORD});
        self.client.post(format!("{}/auth/token", self.base)).json(&body).send().unwrap()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        actix_web::rt::System::new().block_on(self.handle.stop(true));
    }
}

/// The worst case for the pool: connections closed by a restart while nothing doubts them (an
/// idle limit of an hour here, so only a failure reveals them). Public reads still all succeed
/// — a read whose connection turns out closed runs once more on a tested one — and each closed
/// connection fails at most one statement (never handed out again; its failure puts the others
/// to a test). A write is never run twice: a sign-in (it records the attempt) on a closed
/// connection answers 503 with Retry-After, and the next one succeeds. A staff write first
/// authenticates (a read, retried), so it runs on a tested connection: registered once.
#[test]
fn connections_closed_under_the_pool_fail_no_read_are_not_reused_and_writes_are_not_retried() {
    let primary = LonePrimary::start();
    let db = TestDb::on(&primary.cluster);
    let manager = store::pool::Manager::with_ping_if_idle(&db.service_url, Duration::from_secs(3600));
    let losses = manager.losses();
    let pool = store::pool::build(manager, 8, store::POOL_WAIT).unwrap();
    let service = Service::start(pool.clone());
    let paths = public_paths(&service.base);
    assert_eq!(read_at_once(&service.base, &paths, 8, 2), Vec::<String>::new(), "before the restart");

    // Public reads, 8 at once, on connections that are all closed.
    let pooled = u64::from(pool.state().connections);
    restart(&primary.cluster);
    assert_eq!(read_at_once(&service.base, &paths, 8, 3), Vec::<String>::new(), "after the restart");
    let lost = losses.count();
    eprintln!("{lost} of {pooled} pooled connections found closed");
    assert!(lost >= 1, "the reads met closed connections (the idle limit tested none)");
    assert!(lost <= pooled, "each closed connection failed once at most: {lost} losses, {pooled} connections");

    // A write first: not run again.
    let pooled = u64::from(pool.state().connections);
    restart(&primary.cluster);
    let refused = service.sign_in("officer92");
    assert_eq!(refused.status(), 503, "a sign-in on a closed connection is not run again");
    assert!(refused.headers().contains_key("retry-after"));
    let signed_in = service.sign_in("officer92");
    assert_eq!(signed_in.status(), 200, "the next sign-in runs on a tested connection");
    let token = signed_in.json::<serde_json::Value>().unwrap()["access_token"].as_str().unwrap().to_string();
    assert!(losses.count() - lost <= pooled, "each closed connection failed once at most");

    // A staff write after a restart: authenticated on a read that runs again, written once.
    restart(&primary.cluster);
    let r = service.client.post(format!("{}/parcels", service.base)).bearer_auth(&token).json(&parcel_body()).send();
    let r = r.unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<serde_json::Value>().unwrap()["id"].as_str().unwrap().to_string();
    let n = crate::common::scalar_on(
        &mut db.conn(),
        &format!("SELECT count(*) AS n FROM parcels WHERE national_id = '{id}'"),
    );
    assert_eq!(n, 1, "registered once");
    assert_eq!(read_at_once(&service.base, &paths, 8, 1), Vec::<String>::new(), "at the end");
    drop(service);
}
