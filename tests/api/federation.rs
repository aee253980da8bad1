//! Province federation (issue 15 item 4, docs/FEDERATION.md) on real PostgreSQL: two province
//! clusters and a national one on this machine, each a private cluster of its own
//! (`diachinh::cluster`, under var/federation-test/, on their own ports: not the shared test
//! cluster), with a real HTTP server on each. A parcel registered through each province's API
//! reaches the national server's public API, tiles and lookups through logical replication; the
//! national server refuses writes (HTTP and database); a province node refuses land of another
//! province (database); with one province's cluster down, the other's new records still arrive
//! and the stopped province's records are still served nationally.
//!
//! One test, holding a lock file, because the clusters' directories and ports are fixed (nextest
//! runs tests in parallel processes, and several checkouts' runs must not share them).

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use diachinh::cluster::{Cluster, APP_DB, SERVICE_ROLE};
use diachinh::http::AppState;
use diachinh::service::{auth, federation, Role, Settings};
use diesel::{Connection, PgConnection};
use serde_json::{json, Value};
use store::federation::Scope;

use crate::common::{repo_dir, scalar_on, PASSWORD};

/// The login national subscriptions connect to a province as.
const SUBSCRIBER: &str = "diachinh_federation";
const SUBSCRIBER_PASSWORD: &str = "federation-test-secret";
/// How long a committed write may take to reach the national copy before the test fails.
const REPLICATION_WAIT: Duration = Duration::from_secs(90);

/// A province: its code, a commune of it, the commune's VN-2000 zone and a point inside it.
struct ProvinceSpec {
    code: &'static str,
    commune: &'static str,
    crs: &'static str,
    easting: f64,
    northing: f64,
}

/// Cần Thơ (Phường Sóc Trăng, TM-3 105°30′) and Khánh Hòa (Phường Nha Trang, TM-3 108°15′).
const PROVINCES: [ProvinceSpec; 2] = [
    ProvinceSpec {
        code: "92",
        commune: "31507",
        crs: "http://www.opengis.net/def/crs/EPSG/0/9209",
        easting: 554_000.0,
        northing: 1_061_700.0,
    },
    ProvinceSpec {
        code: "56",
        commune: "22366",
        crs: "http://www.opengis.net/def/crs/EPSG/0/9217",
        easting: 602_000.0,
        northing: 1_354_000.0,
    },
];

/// A running node: its cluster, its HTTP server and a client for it.
struct Node {
    cluster: Cluster,
    base: String,
    handle: Option<actix_web::dev::ServerHandle>,
}

impl Node {
    fn owner(&self) -> PgConnection {
        PgConnection::establish(&self.cluster.url(APP_DB)).expect("connect as the owner")
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn stop_server(&mut self) {
        if let Some(handle) = self.handle.take() {
            actix_web::rt::System::new().block_on(handle.stop(false));
        }
    }
}

/// Stops every server and cluster when the test ends, passed or not.
struct Federation {
    nodes: Vec<Node>,
    clusters: Vec<Cluster>,
    _lock: std::fs::File,
}

impl Drop for Federation {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.stop_server();
        }
        for cluster in &self.clusters {
            if let Err(e) = cluster.stop() {
                eprintln!("stopping a federation test cluster: {e:#}");
            }
        }
    }
}

fn root() -> PathBuf {
    repo_dir().join("var/federation-test")
}

/// Holds var/.federation-test.lock until dropped.
fn lock() -> std::fs::File {
    std::fs::create_dir_all(repo_dir().join("var")).unwrap();
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(repo_dir().join("var/.federation-test.lock"))
        .unwrap();
    file.lock().unwrap();
    file
}

/// A cluster from scratch: a leftover of an earlier run (stopped or not) is removed first, its
/// relocated data directory included.
fn fresh_cluster(name: &str, port: u16) -> Cluster {
    let dir = root().join(name);
    let cluster = Cluster::new(&dir, port, false);
    cluster.stop().unwrap();
    if let Ok(real) = std::fs::canonicalize(&dir) {
        std::fs::remove_dir_all(&real).unwrap();
    }
    let _ = std::fs::remove_file(&dir);
    let _ = std::fs::remove_dir_all(root().join(format!("{name}-secrets")));
    cluster
}

/// A server on `cluster`'s database as the service's login, configured as `scope`.
fn serve(cluster: Cluster, scope: Scope) -> Node {
    let pool = store::pool(&cluster.service_url(APP_DB).unwrap(), 4).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let settings = Settings { federation: scope, public_base_url: base.clone(), ..Settings::default() };
    let state = AppState { pool, replicas: store::Replicas::none(), settings };
    Node { cluster, base, handle: Some(crate::common::serve_in_background(listener, state)) }
}

/// Migrates, makes the database the node `scope` (reference data, guards, id ranges) and
/// creates the service's login, as `diachinh federation init` and `serve` do.
fn init(cluster: &Cluster, scope: &Scope) -> PgConnection {
    let mut owner = PgConnection::establish(&cluster.url(APP_DB)).unwrap();
    store::migrate(&mut owner).unwrap();
    let node = federation::init(&mut owner, scope, &repo_dir().join("sample-data")).unwrap();
    assert_eq!(&node.scope, scope);
    store::roles::ensure_login(&mut owner, SERVICE_ROLE, &cluster.service_password().unwrap()).unwrap();
    owner
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().unwrap()
}

fn token(node: &Node, username: &str) -> String {
    let r = client().post(node.url("/auth/token")).json(&json!({"username": username, "password": PASSWORD})).send();
    let body: Value = r.unwrap().json().unwrap();
    body["access_token"].as_str().unwrap_or_else(|| panic!("no token for {username}: {body}")).to_string()
}

/// POSTs a 20 m × 30 m parcel (sheet 1, number `number`, `offset` lots east of the province's
/// point) in `commune` as `username`; (status, body).
fn register(node: &Node, username: &str, spec: &ProvinceSpec, commune: &str, number: i32) -> (u16, Value) {
    let x0 = spec.easting + f64::from(number) * 25.0;
    let y0 = spec.northing;
    let geometry = json!({"type": "Polygon", "coordinates": [[[x0, y0], [x0 + 20.0, y0], [x0 + 20.0, y0 + 30.0],
                                                             [x0, y0 + 30.0], [x0, y0]]]});
    let r = client()
        .post(node.url("/parcels"))
        .bearer_auth(token(node, username))
        .header("accept-language", "en")
        .json(&json!({"commune": commune, "sheet": 1, "parcel": number, "crs": spec.crs,
                      "geometry": geometry, "land_uses": [{"code": "ODT"}]}))
        .send()
        .unwrap();
    (r.status().as_u16(), r.json().unwrap_or(Value::Null))
}

/// Waits (bounded) until the national server serves parcel `national_id`; returns it.
fn await_national(national: &Node, national_id: &str) -> Value {
    let started = Instant::now();
    loop {
        let r = client().get(national.url(&format!("/parcels/{national_id}"))).send().unwrap();
        if r.status() == 200 {
            return r.json().unwrap();
        }
        assert!(
            started.elapsed() < REPLICATION_WAIT,
            "parcel {national_id} did not reach the national copy within {REPLICATION_WAIT:?} (last status {}); \
             national status: {:#?}",
            r.status(),
            federation::status(&mut PgConnection::establish(&national.cluster.url(APP_DB)).unwrap())
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The error statements get on `conn`.
fn refused(conn: &mut PgConnection, sql: &str) -> String {
    use diesel::connection::SimpleConnection;
    match conn.batch_execute(sql) {
        Ok(()) => panic!("{sql} was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn two_provinces_publish_and_the_national_copy_serves_both_read_only() {
    let lock = lock();
    let port: u16 = std::env::var("DIACHINH_TEST_FEDERATION_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(54341);
    let clusters = [fresh_cluster("p92", port), fresh_cluster("p56", port + 1), fresh_cluster("national", port + 2)];
    let mut fed = Federation { nodes: Vec::new(), clusters: clusters.to_vec(), _lock: lock };
    // One after the other: initdb's password file is named after the process.
    for c in &clusters {
        c.start().expect("start a federation test cluster");
    }
    let [p92, p56, national] = clusters;

    // Provinces: scope, accounts (after the scope: they are audited), publication.
    for (spec, cluster) in PROVINCES.iter().zip([&p92, &p56]) {
        let scope = Scope::Province(spec.code.to_string());
        let mut owner = init(cluster, &scope);
        let officer = format!("officer{}", spec.code);
        auth::add_user(&mut owner, &officer, "Cán bộ", PASSWORD, Role::Officer, Some(spec.code)).unwrap();
        auth::add_user(&mut owner, "admin", "Quản trị", PASSWORD, Role::Admin, None).unwrap();
        // The province's database keeps its accounts to its province.
        let e = auth::add_user(&mut owner, "officer80", "Cán bộ khác", PASSWORD, Role::Officer, Some("80"))
            .expect_err("an account of another province");
        assert!(format!("{e:?}").contains("federation_scope"), "{e:?}");
        let tables = federation::publish(&mut owner, SUBSCRIBER, SUBSCRIBER_PASSWORD).unwrap();
        assert!(tables.iter().any(|t| t == "parcel_versions") && !tables.iter().any(|t| t == "users"), "{tables:?}");
        assert!(federation::status(&mut owner).unwrap().unclassified_tables.is_empty());
    }

    // National: scope, then a subscription per province (the publisher is checked first).
    let mut owner = init(&national, &Scope::National);
    for (spec, cluster) in PROVINCES.iter().zip([&p92, &p56]) {
        let url =
            format!("postgres://{SUBSCRIBER}:{}@127.0.0.1:{}/{APP_DB}", SUBSCRIBER_PASSWORD, cluster_port(cluster));
        // The wrong province at that URL is refused before anything is created.
        let other = if spec.code == "92" { "56" } else { "92" };
        let e = federation::subscribe(&mut owner, other, &url).unwrap_err().to_string();
        assert!(e.contains(&format!("not province {other}")), "{e}");
        federation::subscribe(&mut owner, spec.code, &url).unwrap();
    }
    let status = federation::status(&mut owner).unwrap();
    assert_eq!(status.subscriptions.len(), 2, "{status:#?}");
    assert!(status.subscriptions.iter().all(|s| s.enabled), "{status:#?}");
    drop(owner);

    fed.nodes.push(serve(p92, Scope::Province("92".into())));
    fed.nodes.push(serve(p56, Scope::Province("56".into())));
    fed.nodes.push(serve(national, Scope::National));

    // A parcel registered through each province's API reaches the national copy, with its id in
    // its province's range.
    let mut parcels = Vec::new();
    for (i, spec) in PROVINCES.iter().enumerate() {
        let (status, body) = register(&fed.nodes[i], &format!("officer{}", spec.code), spec, spec.commune, 1);
        assert_eq!(status, 201, "{body}");
        parcels.push(body["id"].as_str().unwrap().to_string());
    }
    for (spec, national_id) in PROVINCES.iter().zip(&parcels) {
        let parcel = await_national(&fed.nodes[2], national_id);
        let p = &parcel["properties"];
        assert_eq!(p["province_code"], spec.code, "{parcel}");
        assert_eq!(p["commune_code"], spec.commune, "{parcel}");
        let id = scalar_on(
            &mut fed.nodes[2].owner(),
            &format!("SELECT id AS n FROM parcels WHERE national_id = '{national_id}'"),
        );
        assert_eq!(id / 10_000_000_000_000, spec.code.parse::<i64>().unwrap(), "id {id} outside the province's range");
    }
    // The national public API lists both, and its tiles draw them.
    let page: Value =
        client().get(fed.nodes[2].url("/collections/parcels/items?limit=10")).send().unwrap().json().unwrap();
    let provinces: Vec<&str> = page["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["province_code"].as_str().unwrap())
        .collect();
    assert!(provinces.contains(&"92") && provinces.contains(&"56"), "{page}");
    for national_id in &parcels {
        let parcel: Value =
            client().get(fed.nodes[2].url(&format!("/parcels/{national_id}"))).send().unwrap().json().unwrap();
        let corner = &parcel["geometry"]["coordinates"][0][0][0];
        let t = domain::tiles::TileCoord::containing(corner[0].as_f64().unwrap(), corner[1].as_f64().unwrap(), 17);
        let r = client().get(fed.nodes[2].url(&format!("/tiles/parcels/{}/{}/{}.mvt", t.z, t.x, t.y))).send().unwrap();
        assert_eq!(r.status(), 200, "tile of {national_id}");
        assert!(!r.bytes().unwrap().is_empty(), "the national tile of {national_id} is empty");
    }
    let r = client().get(fed.nodes[2].url("/stats/timeliness")).send().unwrap();
    assert_eq!(r.status(), 200, "national KPIs");

    // The national copy refuses writes: over HTTP, before any handler (no token needed to see it) …
    for (path, body) in [
        ("/parcels", json!({"commune": "31507"})),
        ("/auth/token", json!({"username": "admin", "password": PASSWORD})),
        ("/submissions", json!({})),
    ] {
        let r = client().post(fed.nodes[2].url(path)).header("accept-language", "en").json(&body).send().unwrap();
        assert_eq!(r.status(), 405, "{path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        assert!(r.headers().contains_key("allow"), "{path}");
        let problem: Value = r.json().unwrap();
        assert_eq!(problem["type"], diachinh::http::federation::READ_ONLY_COPY);
        assert!(problem["detail"].as_str().unwrap().contains("national read-only copy"), "{problem}");
    }
    let r = client().put(fed.nodes[2].url("/procedures/1.012753")).json(&json!({})).send().unwrap();
    assert_eq!(r.status(), 405);
    // … and in the database: the service's login has no write grant and starts read-only; even
    // the owner's writes are refused by the guards (the subscriptions' apply workers are not).
    let national_cluster = &fed.nodes[2].cluster;
    let mut service = PgConnection::establish(&national_cluster.service_url(APP_DB).unwrap()).unwrap();
    let e = refused(&mut service, "INSERT INTO parties (kind, full_name) VALUES ('person', 'X')");
    assert!(e.contains("read-only transaction"), "{e}");
    let e = refused(&mut service, "BEGIN READ WRITE; DELETE FROM parcel_land_uses");
    assert!(e.contains("permission denied"), "{e}");
    let e = refused(&mut fed.nodes[2].owner(), "UPDATE parcels SET retired_at = now()");
    assert!(e.contains("national read-only copy"), "{e}");

    // A province node refuses land of another province, whoever asks (here its admin, whom the
    // role matrix lets act anywhere): the database's guard, as a 403.
    let (status, body) = register(&fed.nodes[0], "admin", &PROVINCES[1], PROVINCES[1].commune, 2);
    assert_eq!(status, 403, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("one province"), "{body}");

    // Each province's audit chain verifies on its own node, numbered from its range; the
    // national copy holds both chains, each within its own range.
    for node in &fed.nodes[..2] {
        match store::audit::verify(&mut node.owner(), None).unwrap() {
            store::audit::Verdict::Intact(v) => assert!(v.entries >= 3, "{v:?}"),
            broken => panic!("{broken:?}"),
        }
    }
    let outside = scalar_on(
        &mut fed.nodes[2].owner(),
        "SELECT count(*) AS n FROM audit_log WHERE id / 10000000000000 NOT IN (92, 56)",
    );
    assert_eq!(outside, 0);

    // Khánh Hòa's cluster goes down: Cần Thơ's new parcel still reaches the national copy, and
    // Khánh Hòa's parcel is still served there.
    fed.nodes[1].stop_server();
    fed.nodes[1].cluster.stop().unwrap();
    let (status, body) = register(&fed.nodes[0], "officer92", &PROVINCES[0], PROVINCES[0].commune, 3);
    assert_eq!(status, 201, "{body}");
    await_national(&fed.nodes[2], body["id"].as_str().unwrap());
    let r = client().get(fed.nodes[2].url(&format!("/parcels/{}", parcels[1]))).send().unwrap();
    assert_eq!(r.status(), 200, "Khánh Hòa's parcel, served nationally while its province is down");
    let r = client().get(fed.nodes[2].url("/readyz")).send().unwrap();
    assert_eq!(r.status(), 200);
}

/// The port a test cluster listens on (from its URL).
fn cluster_port(cluster: &Cluster) -> u16 {
    let url = cluster.url(APP_DB);
    let after_host = url.rsplit_once("127.0.0.1:").unwrap().1;
    after_host.split('/').next().unwrap().parse().unwrap()
}

/// Every table of the schema is classified for federation (migration 000020): an unclassified
/// table would be neither published nor guarded, and `federation publish` refuses to run.
#[test]
fn every_table_is_classified_for_federation() {
    let db = crate::common::TestDb::new();
    let status = federation::status(&mut db.conn()).unwrap();
    assert_eq!(status.scope, Scope::Standalone);
    assert!(
        status.unclassified_tables.is_empty(),
        "add these tables to federation_tables (register, reference or node) in their migration: {:?}",
        status.unclassified_tables
    );
}
