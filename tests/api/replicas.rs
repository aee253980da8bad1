//! Read replicas against a real streaming replica: anonymous public reads are served by it, a
//! write on the primary reaches them, and the service keeps answering public reads when the
//! replica is stopped (from the primary) and when the primary is stopped (from the replica,
//! writes 503).
//!
//! A streaming replica copies a whole cluster, and these tests stop servers, so they use a
//! primary and a replica of their own (`var/pg-test-primary`, `var/pg-test-replica`, on free
//! ports), never the shared test cluster. One test at a time uses them (a file lock: nextest
//! runs each test in its own process), and each test stops both when it ends.

use std::fs::File;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use diachinh::cluster::Cluster;
use diachinh::service::Settings;
use diesel::{Connection, PgConnection, RunQueryDsl};
use domain::tiles::TileCoord;
use serde_json::{json, Value};

use crate::common::{repo_dir, scalar_on, TestApp, TestDb};

/// Phường Tân An (Cần Thơ): no sample parcels; a free spot in TM-3 105°30′ near Sóc Trăng.
const COMMUNE: &str = "31147";
const TM3_105_30: &str = "http://www.opengis.net/def/crs/EPSG/0/9209";
const E0: f64 = 554_000.0;
const N0: f64 = 1_061_700.0;

/// The longest any wait here may take (replication is milliseconds on one machine).
const BOUND: Duration = Duration::from_secs(30);

/// The tests' own primary and its streaming replica, running while this value lives.
struct Pair {
    primary: Cluster,
    replica: Cluster,
    _lock: File,
}

impl Pair {
    fn start() -> Pair {
        let (primary, replica, lock) = stopped_pair();
        let started = Instant::now();
        replica.start_replica_of(&primary).expect("start the primary and its streaming replica");
        eprintln!("primary on {}, replica on {}: started in {:?}", primary.port(), replica.port(), started.elapsed());
        drop_stale_databases(&primary);
        Pair { primary, replica, _lock: lock }
    }

    /// A superuser connection to `db` on the replica (read-only: it is a hot standby).
    fn on_replica(&self, db: &str) -> PgConnection {
        PgConnection::establish(&with_db(&self.replica.url("postgres"), db)).unwrap()
    }
}

/// The primary and the replica, both stopped, on free ports, and the lock that makes them ours.
fn stopped_pair() -> (Cluster, Cluster, File) {
    let lock = lock(&repo_dir().join("var/.pg-test-replication.lock"));
    let (primary_dir, replica_dir) = (repo_dir().join("var/pg-test-primary"), repo_dir().join("var/pg-test-replica"));
    // A test killed before its end may have left them running (on its ports: stop needs none).
    Cluster::new(&replica_dir, 0, false).stop().expect("stop a leftover replica");
    Cluster::new(&primary_dir, 0, false).stop().expect("stop a leftover primary");
    let (p1, p2) = free_ports();
    (Cluster::new(primary_dir, p1, false), Cluster::new(replica_dir, p2, false), lock)
}

/// The replica tests' primary alone, without its replica, for a test that stops and starts the
/// database under a running service (`availability`): the same lock and directory, stopped
/// when the value is dropped.
pub struct LonePrimary {
    pub cluster: Cluster,
    _lock: File,
}

impl LonePrimary {
    pub fn start() -> LonePrimary {
        let (primary, _replica, lock) = stopped_pair();
        primary.start().expect("start the primary");
        drop_stale_databases(&primary);
        LonePrimary { cluster: primary, _lock: lock }
    }
}

impl Drop for LonePrimary {
    fn drop(&mut self) {
        let _ = self.cluster.stop();
    }
}

/// Drops the databases of tests that did not finish (the caller holds the lock: nobody else
/// uses them).
fn drop_stale_databases(primary: &Cluster) {
    let mut admin = PgConnection::establish(&primary.url("postgres")).unwrap();
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let stale: Vec<Name> =
        diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'diachinh\\_test\\_%'")
            .load(&mut admin)
            .unwrap();
    for s in stale {
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", s.datname)).execute(&mut admin).unwrap();
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        let _ = self.replica.stop();
        let _ = self.primary.stop();
    }
}

/// The file lock, waited for at most a few minutes (the other replica tests take seconds each).
fn lock(path: &std::path::Path) -> File {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = File::options().create(true).truncate(false).write(true).open(path).unwrap();
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return file,
            Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < Duration::from_secs(600) => {
                std::thread::sleep(Duration::from_millis(200))
            }
            Err(e) => panic!("cannot lock {}: {e:?}", path.display()),
        }
    }
}

/// Two ports nobody listens on now (both held while the second is found, so they differ).
fn free_ports() -> (u16, u16) {
    let a = TcpListener::bind("127.0.0.1:0").unwrap();
    let b = TcpListener::bind("127.0.0.1:0").unwrap();
    (a.local_addr().unwrap().port(), b.local_addr().unwrap().port())
}

fn with_db(url: &str, db: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("URL has a database");
    format!("{base}/{db}")
}

/// Waits (bounded) until `ok` holds; panics with `what` otherwise. Returns the time it took.
fn wait_for(what: &str, mut ok: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !ok() {
        assert!(started.elapsed() < BOUND, "{what}: not within {BOUND:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    started.elapsed()
}

/// The pair, a fresh database on the primary (replicated), and a server whose one read replica
/// is the replica.
fn spawn() -> (Pair, TestApp) {
    let pair = Pair::start();
    let started = Instant::now();
    let db = TestDb::on(&pair.primary);
    eprintln!("database cloned on the primary in {:?}", started.elapsed());
    let name = db.name().to_string();
    let replicated = wait_for("the new database on the replica", || {
        PgConnection::establish(&with_db(&pair.replica.url("postgres"), &name)).is_ok()
    });
    eprintln!("database {name} on the replica after {replicated:?}");
    let replica_url = with_db(&pair.replica.service_url("postgres").unwrap(), &name);
    let app = TestApp::spawn_on(db, store::Replicas::connect(&[replica_url], 4), Settings::default());
    (pair, app)
}

/// Anonymous public reads of every kind that goes to a replica, on the sample's data.
fn public_reads(app: &TestApp) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        a: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        b: String,
    }
    let mut conn = app.db.conn();
    let dossier: Row =
        diesel::sql_query("SELECT receipt_no AS a, tracking_code AS b FROM dossiers ORDER BY id LIMIT 1")
            .get_result(&mut conn)
            .unwrap();
    let certificate: Row = diesel::sql_query("SELECT serial AS a, '' AS b FROM certificates ORDER BY id LIMIT 1")
        .get_result(&mut conn)
        .unwrap();
    let (_, parcel) = app.get_json("/parcels/lookup?commune=31507&sheet=1&parcel=2");
    let id = parcel["id"].as_str().expect("the sample parcel").to_string();
    let (lon, lat) = domain::geohash::decode(&id).unwrap();
    let t = TileCoord::containing(lon, lat, 16);
    vec![
        "/collections/parcels/items?limit=5".into(),
        format!("/collections/parcels/items/{id}"),
        "/collections/communes/items/31507".into(),
        "/parcels/lookup?commune=31507&sheet=1&parcel=2".into(),
        format!("/parcels/at?lon={lon}&lat={lat}"),
        format!("/parcels/{id}"),
        format!("/parcels/{id}/history"),
        format!("/parcels/{id}/planning"),
        format!("/tiles/parcels/{}/{}/{}.mvt", t.z, t.x, t.y),
        format!("/dossiers/track/{}?code={}", dossier.a, dossier.b),
        "/stats/timeliness".into(),
        "/stats/queue".into(),
        "/procedures".into(),
        format!("/certificates/verify/{}", certificate.a),
        "/certificates/keys".into(),
    ]
}

/// Every public read answers 200, each within a bound that only guards against hanging.
fn assert_public_reads_answer(app: &TestApp, paths: &[String], when: &str) {
    for path in paths {
        let started = Instant::now();
        let r = app.get(path);
        let elapsed = started.elapsed();
        assert_eq!(r.status(), 200, "{path} {when}: {}", r.text().unwrap_or_default());
        assert!(elapsed < store::POOL_WAIT * 4, "{path} {when} took {elapsed:?}");
    }
}

/// A new 20 m × 30 m parcel, for `POST /parcels`.
pub fn parcel_body() -> Value {
    let geometry = json!({"type": "Polygon", "coordinates": [[[E0, N0], [E0 + 20.0, N0], [E0 + 20.0, N0 + 30.0], [E0, N0 + 30.0], [E0, N0]]]});
    json!({
        "commune": COMMUNE, "sheet": 7, "parcel": 1, "crs": TM3_105_30,
        "geometry": geometry, "land_uses": [{"code": "ODT"}], "address": "số 1 đường thử"
    })
}

fn health(app: &TestApp) -> Value {
    let (status, body) = app.get_json("/health");
    assert_eq!(status, 200, "{body}");
    body
}

/// The proof that anonymous reads come from the replica: with its replay paused, a parcel the
/// primary has committed is not found by them, while the same read with a bearer token (staff:
/// the primary) finds it at once. Replay resumed, the anonymous read finds it too (bounded).
#[test]
fn public_reads_come_from_the_replica_and_staff_reads_from_the_primary() {
    let (pair, app) = spawn();
    let h = health(&app);
    assert_eq!(h["status"], "ok", "{h}");
    assert_eq!(h["primary"], json!({"name": "primary", "up": true}), "{h}");
    assert_eq!(h["replicas"][0]["name"], "replica-1", "{h}");
    assert_eq!(h["replicas"][0]["up"], true, "{h}");
    assert!(h["replicas"][0]["replay_lag_s"].is_number(), "a replica reports its lag: {h}");

    let officer = app.token("officer92");
    let mut replica = pair.on_replica(app.db.name());
    assert_eq!(scalar_on(&mut replica, "SELECT pg_is_in_recovery()::int::int8 AS n"), 1, "a hot standby");
    let tile = |id: &str| {
        let (lon, lat) = domain::geohash::decode(id).unwrap();
        let t = TileCoord::containing(lon, lat, 17);
        format!("/tiles/parcels/{}/{}/{}.mvt", t.z, t.x, t.y)
    };

    diesel::sql_query("SELECT pg_wal_replay_pause()").execute(&mut replica).unwrap();
    wait_for("replay paused", || {
        scalar_on(&mut replica, "SELECT (pg_get_wal_replay_pause_state() = 'paused')::int::int8 AS n") == 1
    });

    let (status, created) = app.post_json(&officer, "/parcels", &parcel_body());
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        scalar_on(&mut app.db.conn(), &format!("SELECT count(*) AS n FROM parcels WHERE national_id = '{id}'")),
        1,
        "committed on the primary"
    );
    // Anonymous: the replica's snapshot, which does not have it yet.
    for path in [format!("/parcels/{id}"), format!("/collections/parcels/items/{id}")] {
        let (status, body) = app.get_json(&path);
        assert_eq!(status, 404, "{path} is read on the paused replica: {body}");
    }
    let stale = app.get(&tile(&id));
    let stale_etag = stale.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(stale.status(), 204, "the replica's tile has no parcel there yet");
    // Staff (a bearer token): the primary, so an officer sees what they just registered.
    let (status, mine) = app.get_json_auth(&officer, &format!("/collections/parcels/items/{id}"));
    assert_eq!(status, 200, "{mine}");
    // The service's own connections are on the replica, and they ran the public reads.
    assert!(
        scalar_on(
            &mut replica,
            &format!(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE usename = 'diachinh_service' AND datname = '{}'",
                app.db.name()
            )
        ) >= 1,
        "the service holds connections on the replica"
    );

    diesel::sql_query("SELECT pg_wal_replay_resume()").execute(&mut replica).unwrap();
    let caught_up =
        wait_for("the new parcel through an anonymous read", || app.get(&format!("/parcels/{id}")).status() == 200);
    eprintln!("the write reached the public read {caught_up:?} after replay resumed");
    let (status, feature) = app.get_json(&format!("/collections/parcels/items/{id}"));
    assert_eq!((status, feature["id"].as_str()), (200, Some(id.as_str())), "{feature}");
    // The tile's ETag follows the replica's snapshot: the old tag no longer validates.
    let fresh = app.client.get(app.url(&tile(&id))).header("If-None-Match", &stale_etag).send().unwrap();
    assert_eq!(fresh.status(), 200, "the tile now has the parcel");
    assert_ne!(fresh.headers()["etag"].to_str().unwrap(), stale_etag);
}

/// Replica stopped: every public read still answers, from the primary; `/health` says which
/// database is down; the replica back, reads go to it again.
#[test]
fn with_the_replica_stopped_public_reads_fall_back_to_the_primary() {
    let (pair, app) = spawn();
    let paths = public_reads(&app);
    assert_public_reads_answer(&app, &paths, "with both up");

    pair.replica.stop().unwrap();
    // The replica's pooled connections are dead now; the first read notices within
    // store::replicas::REPLICA_WAIT, the next ones skip it for REPLICA_RETRY.
    assert_public_reads_answer(&app, &paths, "with the replica stopped");
    let h = health(&app);
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(h["primary"]["up"], true, "{h}");
    assert_eq!(h["replicas"][0], json!({"name": "replica-1", "up": false}), "{h}");
    // Writes never needed the replica.
    let (status, created) = app.post_json(&app.token("officer92"), "/parcels", &parcel_body());
    assert_eq!(status, 201, "{created}");

    pair.replica.start_replica_of(&pair.primary).unwrap();
    wait_for("the replica in /health again", || health(&app)["status"] == "ok");
    let id = created["id"].as_str().unwrap();
    // Written while it was down, replayed once it is back (through the slot).
    let mut replica = pair.on_replica(app.db.name());
    wait_for("the parcel on the replica", || {
        scalar_on(&mut replica, &format!("SELECT count(*) AS n FROM parcels WHERE national_id = '{id}'")) == 1
    });
    assert_public_reads_answer(&app, &paths, "with the replica back");
}

/// Primary stopped: every public read still answers, from the replica (the only server up);
/// writes, sign-in and staff reads answer 503 problem+json with Retry-After.
#[test]
fn with_the_primary_stopped_public_reads_answer_from_the_replica_and_writes_503() {
    let (pair, app) = spawn();
    let paths = public_reads(&app);
    let officer = app.token("officer92");
    assert_public_reads_answer(&app, &paths, "with both up");

    pair.primary.stop().unwrap();
    assert_public_reads_answer(&app, &paths, "with the primary stopped");

    let unavailable = |r: reqwest::blocking::Response, what: &str| {
        assert_eq!(r.status(), 503, "{what}");
        assert_eq!(r.headers()["content-type"], "application/problem+json", "{what}");
        assert!(r.headers().contains_key("retry-after"), "{what}: Retry-After");
        let body: Value = r.json().unwrap();
        assert_eq!(body["status"], 503, "{what}: {body}");
    };
    let write = app.client.post(app.url("/parcels")).bearer_auth(&officer).json(&parcel_body());
    unavailable(write.send().unwrap(), "a write");
    let sign_in = app
        .client
        .post(app.url("/auth/token"))
        .json(&json!({"username": "officer92", "password": crate::common::PASSWORD}));
    unavailable(sign_in.send().unwrap(), "staff sign-in");
    let staff_read = app.client.get(app.url("/collections/parcels/items?limit=1")).bearer_auth(&officer);
    unavailable(staff_read.send().unwrap(), "a staff read (the primary)");
    unavailable(app.get("/readyz"), "/readyz (the primary)");
    let h = health(&app);
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(h["primary"], json!({"name": "primary", "up": false}), "{h}");
    assert_eq!(h["replicas"][0]["up"], true, "{h}");

    // Back, for the database's clean-up; the pair is stopped when the test ends.
    pair.primary.start().unwrap();
    wait_for("writes again", || app.get("/readyz").status() == 200);
}
