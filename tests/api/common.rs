//! Test harness: a real PostGIS database per test, cloned from a migrated and seeded template,
//! and a real HTTP server on a random loopback port.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use diachinh::service::{auth, seed, Role, Settings};
use diesel::{Connection, PgConnection, RunQueryDsl};
use store::DbPool;

pub const PASSWORD: &str = "correct horse battery staple";

pub fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The test cluster, ./var/pg-test (`make test` starts it; a bare `cargo test` too; another
/// directory under the repository with DIACHINH_TEST_PG_DIR, so that two people can each run
/// their own), on DIACHINH_TEST_PG_PORT (`make test TEST_PG_PORT=…` sets it; default 54321).
fn cluster() -> diachinh::cluster::Cluster {
    let port = std::env::var("DIACHINH_TEST_PG_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(54321);
    let dir = std::env::var("DIACHINH_TEST_PG_DIR").unwrap_or_else(|_| "var/pg-test".into());
    diachinh::cluster::Cluster::new(repo_dir().join(dir), port, false)
}

/// URL of the maintenance database of the test cluster, as the superuser.
fn admin_url() -> String {
    let cluster = cluster();
    cluster.start().expect("start the test cluster");
    cluster.url("postgres")
}

fn with_db(url: &str, db: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("URL has a database");
    format!("{base}/{db}")
}

/// Fingerprint of what the template is built from, so a changed migration or sample file
/// gets a fresh template instead of a stale one.
fn template_name() -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let mut files = Vec::new();
    // The seed code too: it decides what the sample holds (dossiers, certificates, plans).
    for dir in ["migrations", "sample-data", "src/service"] {
        collect(&repo_dir().join(dir), &mut files);
    }
    files.sort();
    for f in files {
        hasher.update(f.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&f).unwrap_or_default());
    }
    hasher.update(env!("CARGO_PKG_VERSION"));
    // The accounts made below: a new one needs a new template.
    hasher.update("users: admin officer92 officer56 planner92 approver92");
    format!("diachinh_tpl_{}", &hex::encode(hasher.finalize())[..12])
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            collect(&p, out)
        } else {
            out.push(p)
        }
    }
}

fn exec(conn: &mut PgConnection, sql: &str) -> diesel::QueryResult<usize> {
    diesel::sql_query(sql).execute(conn)
}

/// Builds the template once across all test processes (nextest runs each test in its own).
fn ensure_template(admin: &str) -> String {
    ensure_template_on(&cluster(), admin)
}

/// [`ensure_template`] on `cluster` (`admin`: its maintenance database as the superuser), e.g.
/// the replica tests' own primary.
pub fn ensure_template_on(cluster: &diachinh::cluster::Cluster, admin: &str) -> String {
    let name = template_name();
    let mut conn = PgConnection::establish(admin).expect("connect to the test cluster");
    // Serialise template creation across processes.
    exec(&mut conn, "SELECT pg_advisory_lock(7243001)").unwrap();
    // The login the servers under test connect as (roles are the cluster's, not a database's).
    store::roles::ensure_login(&mut conn, diachinh::cluster::SERVICE_ROLE, &cluster.service_password().unwrap())
        .expect("create the service's login");
    #[derive(diesel::QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    let exists: Exists = diesel::sql_query(format!(
        "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}' AND datistemplate) AS exists"
    ))
    .get_result(&mut conn)
    .unwrap();
    if !exists.exists {
        exec(&mut conn, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).unwrap();
        exec(&mut conn, &format!("CREATE DATABASE {name}")).unwrap();
        {
            let mut t = PgConnection::establish(&with_db(admin, &name)).unwrap();
            exec(&mut t, "CREATE EXTENSION IF NOT EXISTS postgis").unwrap();
            store::migrate(&mut t).expect("migrate the template");
            seed::seed(&mut t, &Settings::default(), &repo_dir().join("sample-data")).expect("seed the template");
            auth::add_user(&mut t, "admin", "Quản trị viên", PASSWORD, Role::Admin, None).unwrap();
            auth::add_user(&mut t, "officer92", "Cán bộ Cần Thơ", PASSWORD, Role::Officer, Some("92")).unwrap();
            auth::add_user(&mut t, "officer56", "Cán bộ Khánh Hòa", PASSWORD, Role::Officer, Some("56")).unwrap();
            auth::add_user(&mut t, "planner92", "Quy hoạch Cần Thơ", PASSWORD, Role::Planner, Some("92")).unwrap();
            auth::add_user(&mut t, "approver92", "Lãnh đạo VPĐK Cần Thơ", PASSWORD, Role::Approver, Some("92"))
                .unwrap();
            exec(&mut t, "VACUUM ANALYZE").unwrap();
        }
        exec(&mut conn, &format!("ALTER DATABASE {name} WITH is_template TRUE ALLOW_CONNECTIONS FALSE")).unwrap();
        // Drop stale templates from earlier versions of the schema or samples.
        #[derive(diesel::QueryableByName)]
        struct Name {
            #[diesel(sql_type = diesel::sql_types::Text)]
            datname: String,
        }
        let stale: Vec<Name> = diesel::sql_query(format!(
            "SELECT datname FROM pg_database WHERE datname LIKE 'diachinh_tpl_%' AND datname <> '{name}'"
        ))
        .load(&mut conn)
        .unwrap();
        for s in stale {
            let _ = exec(&mut conn, &format!("ALTER DATABASE {} WITH is_template FALSE", s.datname));
            let _ = exec(&mut conn, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", s.datname));
        }
    }
    exec(&mut conn, "SELECT pg_advisory_unlock(7243001)").unwrap();
    name
}

/// A fresh database for one test, dropped when the value goes out of scope.
pub struct TestDb {
    /// As the superuser: for fixtures and for checking what the service wrote.
    pub url: String,
    /// As the service's own login (what `diachinh serve` connects as): only its grants.
    pub service_url: String,
    name: String,
    admin: String,
}

impl TestDb {
    pub fn new() -> TestDb {
        TestDb::on(&cluster())
    }

    /// A fresh database on `cluster` (started if needed), cloned from its template.
    pub fn on(cluster: &diachinh::cluster::Cluster) -> TestDb {
        cluster.start().expect("start the test cluster");
        let admin = cluster.url("postgres");
        let template = ensure_template_on(cluster, &admin);
        let name = format!("diachinh_test_{}_{}", std::process::id(), rand_suffix());
        let mut conn = PgConnection::establish(&admin).unwrap();
        exec(&mut conn, &format!("CREATE DATABASE {name} TEMPLATE {template}")).expect("clone the template");
        let service_url = with_db(&cluster.service_url("postgres").unwrap(), &name);
        TestDb { url: with_db(&admin, &name), service_url, name, admin }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url).unwrap()
    }
}

fn rand_suffix() -> String {
    use rand::Rng;
    format!("{:08x}", rand::thread_rng().gen::<u32>())
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin) {
            let _ = exec(&mut conn, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// A running server on its own database.
pub struct TestApp {
    pub base: String,
    pub db: TestDb,
    pub pool: DbPool,
    handle: actix_web::dev::ServerHandle,
    pub client: reqwest::blocking::Client,
    /// A private directory for the offices' signing seeds, removed on drop.
    key_dir: Option<PathBuf>,
}

impl TestApp {
    pub fn spawn() -> TestApp {
        Self::spawn_with(Settings::default())
    }

    /// A server whose signing seeds live in a private temporary directory.
    pub fn spawn_with_temp_keys() -> TestApp {
        let key_dir = std::env::temp_dir().join(format!("diachinh-test-keys-{}-{}", std::process::id(), rand_suffix()));
        let mut app = Self::spawn_with(Settings { key_dir: key_dir.clone(), ..Settings::default() });
        app.key_dir = Some(key_dir);
        app
    }

    /// A server on its own database; unless the settings name another public URL, it is
    /// configured with its own address as its public URL (printed in QR codes), as an operator
    /// would configure it.
    pub fn spawn_with(settings: Settings) -> TestApp {
        Self::spawn_on(TestDb::new(), store::Replicas::none(), settings)
    }

    /// [`TestApp::spawn_with`] on a given database, with read replicas.
    pub fn spawn_on(db: TestDb, replicas: store::Replicas, mut settings: Settings) -> TestApp {
        let pool = store::pool(&db.service_url, 8).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        if settings.public_base_url == Settings::default().public_base_url {
            settings.public_base_url = base.clone();
        }
        let state = diachinh::http::AppState { pool: pool.clone(), replicas, settings };
        let handle = serve_in_background(listener, state);
        let client = reqwest::blocking::Client::builder().timeout(std::time::Duration::from_secs(60)).build().unwrap();
        TestApp { base, db, pool, handle, client, key_dir: None }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn get(&self, path: &str) -> reqwest::blocking::Response {
        self.client.get(self.url(path)).send().unwrap()
    }

    /// POSTs JSON with a bearer token; an error answer must be problem+json.
    pub fn post_json(&self, token: &str, path: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
        let r = self.client.post(self.url(path)).bearer_auth(token).json(body).send().unwrap();
        let status = r.status().as_u16();
        if status >= 400 {
            assert_eq!(r.headers()["content-type"], "application/problem+json", "{path}");
        }
        (status, r.json().unwrap_or(serde_json::Value::Null))
    }

    pub fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self.get(path);
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(serde_json::Value::Null))
    }

    /// GETs JSON with a bearer token.
    pub fn get_json_auth(&self, token: &str, path: &str) -> (u16, serde_json::Value) {
        let r = self.client.get(self.url(path)).bearer_auth(token).send().unwrap();
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(serde_json::Value::Null))
    }

    /// A bearer token for one of the template's users.
    pub fn token(&self, username: &str) -> String {
        let r = self
            .client
            .post(self.url("/auth/token"))
            .json(&serde_json::json!({"username": username, "password": PASSWORD}))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<serde_json::Value>().unwrap()["access_token"].as_str().unwrap().to_string()
    }

    /// Row counts of every table in the public schema (to prove a refused write wrote nothing).
    pub fn row_counts(&self) -> Vec<(String, i64)> {
        let mut conn = self.db.conn();
        #[derive(diesel::QueryableByName)]
        struct T {
            #[diesel(sql_type = diesel::sql_types::Text)]
            tablename: String,
        }
        // Partitions (a province's versions) are counted in their parent.
        let tables: Vec<T> = diesel::sql_query(
            "SELECT c.relname::text AS tablename FROM pg_class c \
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
               AND c.relname <> 'spatial_ref_sys' ORDER BY 1",
        )
        .load(&mut conn)
        .unwrap();
        tables
            .into_iter()
            .map(|t| {
                let n = store::reference::count(&mut conn, &t.tablename).unwrap();
                (t.tablename, n)
            })
            .collect()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        futures_stop(self.handle.clone());
        if let Some(dir) = &self.key_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A w × h rectangle as a GeoJSON Polygon (coordinates in whatever CRS the caller names).
pub fn rect(x0: f64, y0: f64, w: f64, h: f64) -> serde_json::Value {
    serde_json::json!({"type": "Polygon", "coordinates": [[[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h], [x0, y0]]]})
}

/// Runs the real HTTP server on `listener` in a thread of its own (two workers); returns its
/// handle once it is listening.
pub fn serve_in_background(listener: TcpListener, state: diachinh::http::AppState) -> actix_web::dev::ServerHandle {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = diachinh::http::serve(listener, state, Some(2)).unwrap();
            tx.send(server.handle()).unwrap();
            server.await
        })
    });
    rx.recv().unwrap()
}

fn futures_stop(handle: actix_web::dev::ServerHandle) {
    // Stopping needs an executor; a throw-away one is enough.
    actix_web::rt::System::new().block_on(handle.stop(false));
}

#[derive(diesel::QueryableByName)]
struct Scalar {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The bigint column `n` of `query`'s one row, on `conn`.
pub fn scalar_on(conn: &mut PgConnection, query: &str) -> i64 {
    diesel::sql_query(query).get_result::<Scalar>(conn).unwrap_or_else(|e| panic!("{query}: {e}")).n
}

/// The bigint column `n` of `query`'s one row, as the superuser of the app's database.
pub fn scalar(app: &TestApp, query: &str) -> i64 {
    scalar_on(&mut app.db.conn(), query)
}

/// Runs a fixture statement as the superuser of the app's database.
pub fn sql(app: &TestApp, query: &str) {
    diesel::sql_query(query).execute(&mut app.db.conn()).unwrap_or_else(|e| panic!("{query}: {e}"));
}

/// Tables whose row count changed between two [`TestApp::row_counts`], with the change.
pub fn table_changes(before: &[(String, i64)], after: &[(String, i64)]) -> std::collections::BTreeMap<String, i64> {
    let before: std::collections::BTreeMap<_, _> = before.iter().cloned().collect();
    after
        .iter()
        .filter_map(|(t, n)| {
            let d = n - before.get(t).copied().unwrap_or(0);
            (d != 0).then(|| (t.clone(), d))
        })
        .collect()
}

/// Does `plan` scan an index of a province's partition of parcel_versions named after the
/// parent's index `parcel_versions_<suffix>` (`parcel_versions_p92_<suffix>`, migration 000022)?
pub fn uses_partition_index(plan: &str, suffix: &str) -> bool {
    plan.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|word| {
        word.strip_prefix("parcel_versions_p")
            .and_then(|rest| rest.get(..2).filter(|code| code.bytes().all(|b| b.is_ascii_digit())).map(|_| &rest[2..]))
            .is_some_and(|rest| rest.strip_prefix('_') == Some(suffix))
    })
}
