//! The verifiable audit chain: the verifier recomputes every hash in Rust and names the first
//! bad entry; a seal kept outside the database catches a removed tail even when the head table
//! is rewound; concurrent writers leave one unbroken chain in id order.

use std::path::PathBuf;

use diachinh::service::audit as service;
use diesel::{Connection, PgConnection, RunQueryDsl};
use domain::audit::{Problem, Witness};
use store::audit::{self as db, AuditEntry, Verdict};

use crate::common::scalar_on as scalar;
use crate::common::{TestApp, TestDb};

fn exec(conn: &mut PgConnection, sql: &str) {
    diesel::sql_query(sql).execute(conn).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn intact(conn: &mut PgConnection) -> db::Verified {
    match db::verify(conn, None).unwrap() {
        Verdict::Intact(v) => v,
        Verdict::Broken { bad, .. } => panic!("the chain is broken: {bad}"),
    }
}

fn broken(verdict: Verdict) -> domain::audit::BadEntry {
    match verdict {
        Verdict::Broken { bad, .. } => bad,
        Verdict::Intact(v) => panic!("the chain verified ({} entries) but should not", v.entries),
    }
}

fn append(conn: &mut PgConnection, n: usize, tag: &str) {
    for i in 0..n {
        db::append(
            conn,
            AuditEntry {
                actor_id: None,
                actor: "test",
                action: "test.append",
                entity: "test",
                entity_id: &format!("{tag}-{i}"),
                before: None,
                after: Some(serde_json::json!({"i": i, "tag": tag})),
            },
        )
        .unwrap();
    }
}

/// A private directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> TempDir {
        use rand::Rng;
        let p = std::env::temp_dir().join(format!(
            "diachinh-audit-{what}-{}-{:08x}",
            std::process::id(),
            rand::thread_rng().gen::<u32>()
        ));
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn the_seeded_chain_verifies() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let rows = scalar(&mut conn, "SELECT count(*) AS n FROM audit_log");
    assert!(rows > 1_000, "the seeded template has {rows} audit entries");
    let v = intact(&mut conn);
    assert_eq!(v.entries as i64, rows, "every entry is checked (in batches of {})", db::VERIFY_BATCH);
    let head = v.head.unwrap();
    let recorded = db::recorded_head(&mut conn).unwrap();
    assert_eq!((recorded.last_id, recorded.last_hash), (head.id, Some(head.hash.to_vec())));
    // Ids follow the chain: 1..=n without a gap.
    assert_eq!(head.id, rows);
    // The trigger and the Rust encoding agree whatever the session's time zone.
    exec(&mut conn, "SET TIME ZONE 'America/Los_Angeles'");
    append(&mut conn, 1, "tz");
    exec(&mut conn, "SET TIME ZONE 'Asia/Ho_Chi_Minh'");
    append(&mut conn, 1, "tz");
    assert_eq!(intact(&mut conn).entries as i64, rows + 2);
}

#[test]
fn an_edited_entry_is_named() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let last = intact(&mut conn).head.unwrap().id;
    let middle = last / 2;
    // A superuser can switch the append-only trigger off for the session and edit a row.
    exec(&mut conn, "SET session_replication_role = replica");
    exec(&mut conn, &format!("UPDATE audit_log SET after = '{{\"tampered\": true}}' WHERE id = {middle}"));
    exec(&mut conn, "SET session_replication_role = DEFAULT");
    let bad = broken(db::verify(&mut conn, None).unwrap());
    assert_eq!(bad.id, middle, "{bad}");
    assert!(matches!(bad.problem, Problem::HashMismatch { .. }), "{bad}");

    // Swapping before and after (one of them NULL) changes the hash too.
    let db = TestDb::new();
    let mut conn = db.conn();
    let swapped = scalar(&mut conn, "SELECT max(id) AS n FROM audit_log WHERE before IS NULL AND after IS NOT NULL");
    exec(&mut conn, "SET session_replication_role = replica");
    exec(&mut conn, &format!("UPDATE audit_log SET before = after, after = before WHERE id = {swapped}"));
    let bad = broken(db::verify(&mut conn, None).unwrap());
    assert_eq!(bad.id, swapped, "{bad}");

    // Removing a middle entry leaves a gap; re-linking the next one by hand still fails its hash.
    let db = TestDb::new();
    let mut conn = db.conn();
    exec(&mut conn, "SET session_replication_role = replica");
    exec(&mut conn, &format!("DELETE FROM audit_log WHERE id = {middle}"));
    let bad = broken(db::verify(&mut conn, None).unwrap());
    assert_eq!((bad.id, bad.problem), (middle + 1, Problem::Gap { from: middle, to: middle }));
}

#[test]
fn a_removed_tail_is_caught_by_the_head_and_by_the_seal() {
    let db = TestDb::new();
    let keys = TempDir::new("keys");
    let seals = TempDir::new("seals");
    let mut conn = db.conn();
    append(&mut conn, 5, "before-seal");
    let (path, seal) = service::seal(&mut conn, &keys.0, &seals.0, chrono::Utc::now()).unwrap();
    assert!(path.starts_with(&seals.0));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&seals.0).unwrap().permissions().mode() & 0o777, 0o700);
    }
    let sealed = seal.head_id;
    let checked = service::verify_sealed(&mut conn, &keys.0, &seals.0).unwrap();
    assert!(checked.verification.ok, "{:?}", checked.verification);
    assert_eq!(checked.verification.head_id, Some(sealed));

    // The chain may grow after the seal.
    append(&mut conn, 2, "after-seal");
    assert!(service::verify_sealed(&mut conn, &keys.0, &seals.0).unwrap().verification.ok);

    // Remove the newest entries, the sealed one among them.
    let keep = sealed - 3;
    exec(&mut conn, "SET session_replication_role = replica");
    exec(&mut conn, &format!("DELETE FROM audit_log WHERE id > {keep}"));
    // The head table still names the old head.
    let bad = broken(db::verify(&mut conn, None).unwrap());
    assert_eq!(bad.id, keep + 1, "{bad}");
    assert!(matches!(bad.problem, Problem::MissingTail { witness: Witness::ChainHead, .. }), "{bad}");

    // Rewind the head table too: the database alone can no longer tell …
    exec(
        &mut conn,
        &format!(
            "UPDATE audit_chain_head SET last_id = {keep}, last_hash = (SELECT hash FROM audit_log WHERE id = {keep})"
        ),
    );
    exec(&mut conn, "SET session_replication_role = DEFAULT");
    assert_eq!(intact(&mut conn).head.unwrap().id, keep);
    // … but the seal can.
    let checked = service::verify_sealed(&mut conn, &keys.0, &seals.0).unwrap().verification;
    assert!(!checked.ok);
    let first_bad = checked.first_bad.unwrap();
    assert_eq!((first_bad.id, first_bad.kind.as_str()), (keep + 1, "missing_tail"), "{first_bad:?}");
    assert!(first_bad.problem.contains(&format!("{}..={sealed}", keep + 1)), "{}", first_bad.problem);

    // Appending new entries in place of the removed ones does not fool it either.
    append(&mut conn, 5, "forged");
    let first_bad = service::verify_sealed(&mut conn, &keys.0, &seals.0).unwrap().verification.first_bad.unwrap();
    assert_eq!((first_bad.id, first_bad.kind.as_str()), (sealed, "seal_mismatch"), "{first_bad:?}");

    // A seal signed with another key is refused.
    let other_keys = TempDir::new("other-keys");
    assert!(service::verify_sealed(&mut conn, &other_keys.0, &seals.0).is_err());
}

#[test]
fn concurrent_writers_leave_one_chain_in_id_order() {
    const WRITERS: usize = 20;
    const TRANSACTIONS: usize = 10;
    let db = TestDb::new();
    let mut conn = db.conn();
    let start = intact(&mut conn).entries;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(WRITERS));
    let threads: Vec<_> = (0..WRITERS)
        .map(|w| {
            let url = db.url.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                barrier.wait();
                let mut committed = 0;
                for t in 0..TRANSACTIONS {
                    // Every fourth transaction rolls back after appending: it must leave no gap.
                    let rollback = t % 4 == 3;
                    let r = conn.transaction::<_, diesel::result::Error, _>(|c| {
                        append(c, 2, &format!("w{w}-t{t}"));
                        if rollback {
                            return Err(diesel::result::Error::RollbackTransaction);
                        }
                        Ok(())
                    });
                    if r.is_ok() {
                        committed += 2;
                    }
                }
                committed
            })
        })
        .collect();
    let committed: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(committed as usize, WRITERS * (0..TRANSACTIONS).filter(|t| t % 4 != 3).count() * 2);
    let v = intact(&mut conn);
    assert_eq!(v.entries, start + committed);
    // Ids are dense and follow the links.
    assert_eq!(v.head.unwrap().id as u64, start + committed);
    assert_eq!(
        scalar(
            &mut conn,
            "SELECT count(*) AS n FROM audit_log a JOIN audit_log b ON b.id = a.id + 1 WHERE b.prev_hash IS DISTINCT FROM a.hash"
        ),
        0
    );
}

#[test]
fn the_cli_seals_and_verifies() {
    let db = TestDb::new();
    let keys = TempDir::new("cli-keys");
    let seals = TempDir::new("cli-seals");
    let work = TempDir::new("cli-cwd");
    std::fs::create_dir_all(&work.0).unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_diachinh"))
            .args(args)
            .arg("--seal-dir")
            .arg(&seals.0)
            .current_dir(&work.0)
            .env("DATABASE_URL", &db.url)
            .env("DIACHINH_KEY_DIR", &keys.0)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
    };
    let (ok, text) = run(&["audit", "seal"]);
    assert!(ok, "{text}");
    let (ok, text) = run(&["audit", "verify"]);
    assert!(ok && text.contains("intact"), "{text}");
    let mut conn = db.conn();
    let middle = intact(&mut conn).head.unwrap().id / 3;
    exec(&mut conn, "SET session_replication_role = replica");
    exec(&mut conn, &format!("UPDATE audit_log SET at = at + interval '1 microsecond' WHERE id = {middle}"));
    let (ok, text) = run(&["audit", "verify"]);
    assert!(!ok, "{text}");
    assert!(text.contains(&format!("entry {middle}")), "{text}");
}

#[test]
fn admins_verify_over_http() {
    let app = TestApp::spawn();
    let r = app.client.get(app.url("/audit/verify")).bearer_auth(app.token("admin")).send().unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().unwrap();
    assert_eq!(body["ok"], true, "{body}");
    assert!(body["entries"].as_u64().unwrap() > 1_000, "{body}");
    assert_eq!(body["head_id"].as_u64(), body["entries"].as_u64(), "{body}");
    assert_eq!(body["head_hash"].as_str().unwrap().len(), 64, "{body}");
    assert!(body.get("first_bad").is_none(), "{body}");
    let r = app.client.get(app.url("/audit/verify")).bearer_auth(app.token("officer92")).send().unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(app.get("/audit/verify").status(), 401);

    let mut conn = app.db.conn();
    exec(&mut conn, "SET session_replication_role = replica");
    exec(&mut conn, "UPDATE audit_log SET entity_id = entity_id || ' ' WHERE id = 7");
    let r = app.client.get(app.url("/audit/verify")).bearer_auth(app.token("admin")).send().unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().unwrap();
    assert_eq!(body["ok"], false, "{body}");
    assert_eq!(body["first_bad"]["id"], 7, "{body}");
    assert_eq!(body["first_bad"]["kind"], "hash_mismatch", "{body}");
}
