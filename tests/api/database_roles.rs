//! Least privilege in the database, tested as the attack: connected as the service's own
//! login (what `diachinh serve` uses), nothing can switch the audit log's guarantees off.

use diesel::{Connection, PgConnection, RunQueryDsl};
use store::audit::{self, AuditEntry, Verdict};

use crate::common::{scalar_on, TestDb};

fn count_audit(conn: &mut PgConnection) -> i64 {
    scalar_on(conn, "SELECT count(*) AS n FROM audit_log")
}

#[test]
fn the_service_login_cannot_bend_the_audit_log() {
    let db = TestDb::new();
    let mut owner = db.conn();
    let before = count_audit(&mut owner);
    let mut service = PgConnection::establish(&db.service_url).expect("the service's login connects");
    let attacks = [
        "SET session_replication_role = replica",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
        "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
        "UPDATE audit_log SET actor = 'someone else' WHERE id = 1",
        "TRUNCATE audit_log",
        "UPDATE audit_chain_head SET last_id = 0",
        "DROP TRIGGER audit_log_chain ON audit_log",
        "COPY (SELECT 1) TO PROGRAM 'true'",
        "COPY audit_log TO '/tmp/diachinh-audit-copy'",
        "CREATE TABLE shadow (i int)",
        "ALTER ROLE diachinh_service SUPERUSER",
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('99999999999999')",
    ];
    for sql in attacks {
        let result = diesel::sql_query(sql).execute(&mut service);
        assert!(result.is_err(), "as the service's login, `{sql}` must fail");
    }
    assert_eq!(count_audit(&mut owner), before, "no audit row changed");

    // What it may do, it still can: append (the chain trigger moves the head with its
    // owner's rights), and the chain verifies.
    service
        .transaction(|conn| {
            audit::append(
                conn,
                AuditEntry {
                    actor_id: None,
                    actor: "test",
                    action: "test.append",
                    entity: "test",
                    entity_id: "1",
                    before: None,
                    after: Some(serde_json::json!({"ok": true})),
                },
            )
        })
        .expect("the service appends to the audit log");
    assert_eq!(count_audit(&mut owner), before + 1);
    assert!(matches!(audit::verify(&mut owner, None).unwrap(), Verdict::Intact(_)), "the chain still verifies");
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        statement_timeout: String,
    }
    let timeout: Setting = diesel::sql_query("SHOW statement_timeout").get_result(&mut service).unwrap();
    assert_eq!(timeout.statement_timeout, store::roles::SERVICE_STATEMENT_TIMEOUT);
}

#[test]
fn the_cluster_wants_a_password() {
    let db = TestDb::new();
    // The superuser's URL without its password, and the service's login with a wrong one.
    let (scheme_user, rest) = db.url.split_once('@').unwrap();
    let (scheme, _password) = scheme_user.rsplit_once(':').unwrap();
    assert!(PgConnection::establish(&format!("{scheme}@{rest}")).is_err(), "no trust on TCP");
    let (service_user, service_rest) = db.service_url.split_once('@').unwrap();
    let (service_scheme, _) = service_user.rsplit_once(':').unwrap();
    assert!(PgConnection::establish(&format!("{service_scheme}:not-the-password@{service_rest}")).is_err());
}
