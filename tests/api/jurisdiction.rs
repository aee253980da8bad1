//! The register cannot be bent: attacks on jurisdiction, on checks and on revocation, each
//! refused with nothing written. Jurisdiction follows the land (the province of each parcel a
//! request touches), a check unlocks issuance only for the parcel it was about, transfers go
//! through a dossier, and only an approver revokes a certificate, by any path, with an audit
//! entry per certificate.

use std::collections::BTreeMap;

use crate::common::{rect, TestApp};
use crate::common::{scalar, sql, table_changes as changes};
use diesel::RunQueryDsl;
use serde_json::{json, Value};

const TM3_105_30: &str = "http://www.opengis.net/def/crs/EPSG/0/9209";
/// Phường Tân An (Cần Thơ, province 92): no boundary on record, no sample parcels.
const COMMUNE: &str = "31147";
/// Phường Sóc Trăng (Cần Thơ, 92), with sample parcels.
const SAMPLE_92: &str = "31507";
const E0: f64 = 556_000.0;
const N0: f64 = 1_061_700.0;
const FIRST_REGISTRATION: &str = "1.012753";
const TRANSFER: &str = "1.013831";

fn spawn() -> TestApp {
    TestApp::spawn_with_temp_keys()
}

#[derive(diesel::QueryableByName)]
struct T {
    #[diesel(sql_type = diesel::sql_types::Text)]
    t: String,
}

fn text(app: &TestApp, query: &str) -> String {
    diesel::sql_query(query).get_result::<T>(&mut app.db.conn()).unwrap_or_else(|e| panic!("{query}: {e}")).t
}

/// Runs `action`, expects `status`, and proves that no table changed.
fn refused(app: &TestApp, label: &str, status: u16, action: impl FnOnce() -> (u16, Value)) -> Value {
    let before = app.row_counts();
    let (got, body) = action();
    assert_eq!(got, status, "{label}: {body}");
    assert_eq!(changes(&before, &app.row_counts()), BTreeMap::new(), "{label} wrote something");
    println!("{label}: {got} {}", body["detail"]);
    body
}

/// A sample parcel of province `province` with a valid certificate: (national id, serial).
fn certified_sample(app: &TestApp, province: &str) -> (String, String) {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        national_id: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        serial: String,
    }
    let row: Row = diesel::sql_query(format!(
        "SELECT p.national_id, c.serial FROM certificates c JOIN rrrs r ON r.id = c.rrr_id \
         JOIN parcels p ON p.id = r.parcel_id WHERE p.province_code = '{province}' AND c.status = 'valid' \
         AND p.retired_at IS NULL ORDER BY c.id LIMIT 1"
    ))
    .get_result(&mut app.db.conn())
    .unwrap();
    (row.national_id, row.serial)
}

fn register_blanks(app: &TestApp, province: &str, prefix: &str) {
    let (status, body) = app.post_json(
        &app.token("admin"),
        "/certificate-blanks",
        &json!({"province": province, "prefix": prefix, "first": 1, "last": 9}),
    );
    assert_eq!(status, 201, "{body}");
}

/// A 20 m × 30 m parcel registered by officer92, `offset` lots east of E0.
fn new_parcel(app: &TestApp, number: i32, offset: f64) -> String {
    let (status, body) = app.post_json(
        &app.token("officer92"),
        "/parcels",
        &json!({"commune": COMMUNE, "sheet": 9, "parcel": number, "crs": TM3_105_30,
                "geometry": rect(E0 + offset * 20.0, N0, 20.0, 30.0), "land_uses": [{"code": "ODT"}]}),
    );
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

/// A dossier received by officer92 on `parcel`, appraised and approved.
fn approved_dossier(app: &TestApp, commune: &str, parcel: &str, procedure: &str) -> i64 {
    let (status, created) = app.post_json(
        &app.token("officer92"),
        "/dossiers",
        &json!({"procedure": procedure, "channel": "counter", "commune": commune,
                "applicant": {"kind": "person", "name": "Người Nộp Thử"}, "parcels": [parcel]}),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    for (action, user) in [("start_appraisal", "officer92"), ("approve", "approver92")] {
        let (status, body) =
            app.post_json(&app.token(user), &format!("/dossiers/{id}/events"), &json!({"action": action}));
        assert_eq!(status, 200, "{action}: {body}");
    }
    id
}

/// A passing check of `parcel` kept for `dossier` (SQL: the outcome is the test's choice).
fn passing_check(app: &TestApp, dossier: i64, parcel: &str) {
    sql(
        app,
        &format!(
            "INSERT INTO geometry_checks (dossier_id, parcel_id, outcome, report) \
             SELECT {dossier}, id, 'pass', '{{}}' FROM parcels WHERE national_id = '{parcel}'"
        ),
    );
}

fn holders() -> Value {
    json!([{"kind": "person", "name": "Trần Văn Mượn", "share": 1.0}])
}

#[test]
fn an_officer_cannot_open_a_dossier_on_land_of_another_province() {
    let app = spawn();
    let (parcel56, _) = certified_sample(&app, "56");
    let officer = app.token("officer92");
    let count = |table: &str| scalar(&app, &format!("SELECT count(*) AS n FROM {table}"));
    let (dossiers, links) = (count("dossiers"), count("dossier_parcels"));
    let body = |commune: &str| {
        json!({"procedure": TRANSFER, "channel": "counter", "commune": commune,
               "applicant": {"kind": "person", "name": "Kẻ Bẻ Cong"}, "parcels": [parcel56]})
    };
    // In a commune of 92 naming land of 56: the dossier may hold only its own province's land.
    let problem =
        refused(&app, "92 dossier naming a 56 parcel", 422, || app.post_json(&officer, "/dossiers", &body(SAMPLE_92)));
    assert_eq!(problem["errors"][0]["pointer"], "/parcels/0");
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains(&parcel56) && message.contains("province 56"), "{message}");
    // In a commune of 56: no jurisdiction there at all.
    refused(&app, "92 officer in a 56 commune", 403, || app.post_json(&officer, "/dossiers", &body("22366")));
    assert_eq!((count("dossiers"), count("dossier_parcels")), (dossiers, links), "no dossier, no link");
    // The officer of 56 may.
    let (status, created) = app.post_json(&app.token("officer56"), "/dossiers", &body("22366"));
    assert_eq!(status, 201, "{created}");
}

#[test]
fn an_approver_cannot_issue_or_transfer_for_land_of_another_province() {
    let app = spawn();
    register_blanks(&app, "92", "JA");
    register_blanks(&app, "56", "JB");
    let (parcel56, serial56) = certified_sample(&app, "56");
    let approver = app.token("approver92");
    // A dossier of 92 that names land of 56, as the old code let an officer make: received on a
    // 92 parcel, then relinked (what `POST /dossiers` accepted before), with a passing check.
    let (parcel92, _) = certified_sample(&app, "92");
    let bent = approved_dossier(&app, SAMPLE_92, &parcel92, TRANSFER);
    sql(
        &app,
        &format!(
            "UPDATE dossier_parcels SET parcel_id = (SELECT id FROM parcels WHERE national_id = '{parcel56}') \
             WHERE dossier_id = {bent}"
        ),
    );
    passing_check(&app, bent, &parcel56);
    let problem = refused(&app, "approver92 issues for 56 land", 403, || {
        app.post_json(&approver, &format!("/dossiers/{bent}/certificate"), &json!({"holders": holders()}))
    });
    assert!(problem["detail"].as_str().unwrap().contains("province 56"), "{problem}");
    let admin = app.token("admin");
    // Even an admin cannot issue it: blanks, key and registry number would be 92's for 56 land.
    refused(&app, "admin issues a dossier holding foreign land", 422, || {
        app.post_json(&admin, &format!("/dossiers/{bent}/certificate"), &json!({"holders": holders()}))
    });
    // The 56 certificate itself: no transfer, revocation or replacement by 92's approver.
    refused(&app, "approver92 transfers a 56 certificate", 403, || {
        app.post_json(
            &approver,
            &format!("/certificates/{serial56}/transfer"),
            &json!({"kind": "transfer", "holders": holders()}),
        )
    });
    refused(&app, "approver92 revokes a 56 certificate", 403, || {
        app.post_json(&approver, &format!("/certificates/{serial56}/revoke"), &json!({"reason": "thử"}))
    });
    refused(&app, "approver92 replaces a 56 certificate", 403, || {
        app.post_json(&approver, &format!("/certificates/{serial56}/replace"), &json!({"reason": "lost"}))
    });
    // Moving the bent dossier is refused too: its land is 56's.
    refused(&app, "approver92 moves a dossier holding 56 land", 403, || {
        app.post_json(&approver, &format!("/dossiers/{bent}/events"), &json!({"action": "mark_result_ready"}))
    });
    assert_eq!(text(&app, &format!("SELECT status AS t FROM certificates WHERE serial = '{serial56}'")), "valid");
}

#[test]
fn transfer_without_a_dossier_is_refused() {
    let app = spawn();
    register_blanks(&app, "92", "JC");
    let (_, serial) = certified_sample(&app, "92");
    let approver = app.token("approver92");
    let problem = refused(&app, "standalone transfer", 409, || {
        app.post_json(
            &approver,
            &format!("/certificates/{serial}/transfer"),
            &json!({"kind": "gift", "holders": holders()}),
        )
    });
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("dossier") && detail.contains("1.013831"), "{detail}");
    assert_eq!(text(&app, &format!("SELECT status AS t FROM certificates WHERE serial = '{serial}'")), "valid");
}

#[test]
fn a_check_of_one_parcel_never_unlocks_another() {
    let app = spawn();
    register_blanks(&app, "92", "JD");
    let (a, b) = (new_parcel(&app, 1, 0.0), new_parcel(&app, 2, 2.0));
    let officer = app.token("officer92");
    let approver = app.token("approver92");
    let dossier = approved_dossier(&app, COMMUNE, &b, FIRST_REGISTRATION);
    let check_body = |parcel: Option<&str>, offset: f64| {
        let mut body = json!({"crs": TM3_105_30, "geometry": rect(E0 + offset * 20.0, N0, 20.0, 30.0),
                              "declared_area_m2": 600.0, "map_scale": 500, "holders": [{"name": "Trần Văn Mượn", "share": 1.0}]});
        if let Some(p) = parcel {
            body["parcel"] = json!(p);
        }
        body
    };
    // A's clean check cannot be filed on B's dossier.
    let problem = refused(&app, "check of a parcel the dossier does not name", 422, || {
        app.post_json(&officer, &format!("/dossiers/{dossier}/checks"), &check_body(Some(&a), 0.0))
    });
    assert_eq!(problem["errors"][0]["pointer"], "/parcel");
    // A pass for A kept with the dossier anyway (as the old endpoint allowed) unlocks nothing.
    passing_check(&app, dossier, &a);
    let problem = refused(&app, "issuance with A's pass for B", 409, || {
        app.post_json(&approver, &format!("/dossiers/{dossier}/certificate"), &json!({"holders": holders()}))
    });
    assert!(problem["detail"].as_str().unwrap().contains(&format!("no check of parcel {b}")), "{problem}");
    // B's own check does.
    let (status, report) = app.post_json(&officer, &format!("/dossiers/{dossier}/checks"), &check_body(None, 2.0));
    assert_eq!(status, 201, "{report}");
    assert_eq!(report["parcel"], b.as_str());
    assert_ne!(report["outcome"], "fail", "{report}");
    // A dispute recorded after the check makes it stale; a new check fails R7.2 (the blocking
    // table: an accepted dispute blocks a first registration, 1.012753); no issuance.
    sql(
        &app,
        &format!(
            "INSERT INTO rrrs (kind, parcel_id, parcel_version_id, source_document) \
             SELECT 'dispute', v.parcel_id, v.id, 'đơn tranh chấp 12/2026' FROM parcel_versions v \
             JOIN parcels p ON p.id = v.parcel_id WHERE p.national_id = '{b}' AND v.valid_to IS NULL"
        ),
    );
    let problem = refused(&app, "issuance after a dispute was recorded", 409, || {
        app.post_json(&approver, &format!("/dossiers/{dossier}/certificate"), &json!({"holders": holders()}))
    });
    assert!(problem["detail"].as_str().unwrap().contains("restrictions"), "{problem}");
    let (status, report) = app.post_json(&officer, &format!("/dossiers/{dossier}/checks"), &check_body(None, 2.0));
    assert_eq!((status, report["outcome"].as_str()), (201, Some("fail")), "{report}");
    refused(&app, "issuance for a disputed parcel", 409, || {
        app.post_json(&approver, &format!("/dossiers/{dossier}/certificate"), &json!({"holders": holders()}))
    });
    // Even a pass slipped in after the dispute meets R7.2 at issuance.
    passing_check(&app, dossier, &b);
    let problem = refused(&app, "issuance for a disputed parcel with a pass", 409, || {
        app.post_json(&approver, &format!("/dossiers/{dossier}/certificate"), &json!({"holders": holders()}))
    });
    assert!(problem["detail"].as_str().unwrap().contains("R7.2"), "{problem}");
    // Lifting the dispute and checking again lets it through.
    sql(&app, &format!("UPDATE rrrs SET valid_to = now() WHERE kind = 'dispute' AND parcel_id = (SELECT id FROM parcels WHERE national_id = '{b}')"));
    let (status, report) = app.post_json(&officer, &format!("/dossiers/{dossier}/checks"), &check_body(None, 2.0));
    assert_eq!(status, 201, "{report}");
    assert_ne!(report["outcome"], "fail", "{report}");
    let (status, issued) =
        app.post_json(&approver, &format!("/dossiers/{dossier}/certificate"), &json!({"holders": holders()}));
    assert_eq!(status, 201, "{issued}");
    assert_eq!(issued["content"]["parcel"]["national_id"], b.as_str());
}

/// Gives `parcels` one common holder (one party) and a certificate over the first one's right.
fn certify(app: &TestApp, parcels: &[&str], serial: &str) {
    sql(app, "INSERT INTO parties (kind, full_name) VALUES ('person', 'Võ Thị Chứng')");
    for p in parcels {
        sql(
            app,
            &format!(
                "WITH r AS (INSERT INTO rrrs (kind, parcel_id, parcel_version_id, use_form, source_document) \
                   SELECT 'use_right', v.parcel_id, v.id, 'sole', 'test' FROM parcel_versions v \
                   JOIN parcels x ON x.id = v.parcel_id WHERE x.national_id = '{p}' AND v.valid_to IS NULL RETURNING id) \
                 INSERT INTO rrr_shares (rrr_id, party_id, share) \
                 SELECT r.id, (SELECT max(id) FROM parties WHERE full_name = 'Võ Thị Chứng'), 1 FROM r"
            ),
        );
    }
    sql(
        app,
        &format!(
            "INSERT INTO certificates (serial, registry_no, registry_year, province_code, rrr_id, issued_on, issuing_authority) \
             SELECT '{serial}', 'CS {serial}', 2026, '92', r.id, DATE '2026-01-05', 'Văn phòng đăng ký đất đai thành phố Cần Thơ' \
             FROM rrrs r JOIN parcels x ON x.id = r.parcel_id WHERE x.national_id = '{}' AND r.valid_to IS NULL",
            parcels[0]
        ),
    );
}

fn revocations(app: &TestApp, serial: &str) -> i64 {
    scalar(
        app,
        &format!(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'certificate.revoke' AND entity = 'certificate' \
             AND entity_id = '{serial}'"
        ),
    )
}

#[test]
fn split_and_merge_revoke_a_certificate_only_for_an_approver_with_an_audit_entry() {
    let app = spawn();
    let (officer, approver) = (app.token("officer92"), app.token("approver92"));
    // Split.
    let whole = new_parcel(&app, 10, 0.0);
    certify(&app, &[&whole], "JE00000001");
    let split_body = json!({"crs": TM3_105_30, "reason": "chia cho con", "parts": [
        {"parcel": 11, "geometry": rect(E0, N0, 8.0, 30.0), "land_uses": [{"code": "ODT"}]},
        {"parcel": 12, "geometry": rect(E0 + 8.0, N0, 12.0, 30.0), "land_uses": [{"code": "ODT"}]},
    ]});
    let problem = refused(&app, "officer splits a certified parcel", 403, || {
        app.post_json(&officer, &format!("/parcels/{whole}/split"), &split_body)
    });
    assert!(problem["detail"].as_str().unwrap().contains("JE00000001"), "{problem}");
    assert_eq!(text(&app, "SELECT status AS t FROM certificates WHERE serial = 'JE00000001'"), "valid");
    let (status, split) = app.post_json(&approver, &format!("/parcels/{whole}/split"), &split_body);
    assert_eq!(status, 201, "{split}");
    assert_eq!(text(&app, "SELECT status AS t FROM certificates WHERE serial = 'JE00000001'"), "revoked");
    assert_eq!(revocations(&app, "JE00000001"), 1, "the split's revocation is audited as such");

    // Merge.
    let (left, right) = (new_parcel(&app, 20, 3.0), new_parcel(&app, 21, 4.0));
    certify(&app, &[&left, &right], "JE00000002");
    let merge_body = json!({"parcels": [left, right], "parcel": 22, "reason": "hợp thửa"});
    refused(&app, "officer merges a certified parcel", 403, || app.post_json(&officer, "/parcels/merge", &merge_body));
    assert_eq!(text(&app, "SELECT status AS t FROM certificates WHERE serial = 'JE00000002'"), "valid");
    let (status, merged) = app.post_json(&approver, "/parcels/merge", &merge_body);
    assert_eq!(status, 201, "{merged}");
    assert_eq!(text(&app, "SELECT status AS t FROM certificates WHERE serial = 'JE00000002'"), "revoked");
    assert_eq!(revocations(&app, "JE00000002"), 1, "the merge's revocation is audited as such");

    // Without a certificate at stake an officer still splits.
    let plain = new_parcel(&app, 30, 6.0);
    let plain_body = json!({"crs": TM3_105_30, "reason": "chia", "parts": [
        {"parcel": 31, "geometry": rect(E0 + 120.0, N0, 10.0, 30.0), "land_uses": [{"code": "ODT"}]},
        {"parcel": 32, "geometry": rect(E0 + 130.0, N0, 10.0, 30.0), "land_uses": [{"code": "ODT"}]},
    ]});
    let (status, body) = app.post_json(&officer, &format!("/parcels/{plain}/split"), &plain_body);
    assert_eq!(status, 201, "{body}");
}

#[test]
fn personal_data_is_for_roles_that_work_with_it() {
    let app = spawn();
    let planner = app.token("planner92");
    let dossier = approved_dossier(&app, COMMUNE, &new_parcel(&app, 1, 0.0), FIRST_REGISTRATION);
    let r = app.client.get(app.url("/dossiers")).bearer_auth(&planner).send().unwrap();
    assert_eq!(r.status(), 403, "a planner does not see applicants' names");
    let r = app.client.get(app.url(&format!("/dossiers/{dossier}"))).bearer_auth(&planner).send().unwrap();
    assert_eq!(r.status(), 403);
    let r = app.client.get(app.url("/dossiers")).bearer_auth(app.token("officer92")).send().unwrap();
    assert_eq!(r.status(), 200);
    let r = app.client.get(app.url("/dossiers?province=56")).bearer_auth(app.token("officer92")).send().unwrap();
    assert_eq!(r.status(), 403, "another province's queue");
    // Certificate checks show restrictions: not for planners, nor on another province's parcel.
    let (parcel92, _) = certified_sample(&app, "92");
    let (_, lot) = app.get_json(&format!("/parcels/{parcel92}"));
    let body = json!({"parcel": parcel92, "geometry": lot["geometry"], "holders": [{"name": "X", "share": 1.0}]});
    let officer56 = app.token("officer56");
    refused(&app, "planner runs a certificate check", 403, || app.post_json(&planner, "/certificate-checks", &body));
    refused(&app, "officer56 checks a 92 parcel", 403, || app.post_json(&officer56, "/certificate-checks", &body));
    let (status, report) = app.post_json(&app.token("officer92"), "/certificate-checks", &body);
    assert_eq!(status, 200, "{report}");
}
