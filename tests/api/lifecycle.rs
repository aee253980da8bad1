//! A parcel's lifecycle never dead-ends: a revoked certificate ends its right and the land can be
//! registered again; a split (or merge) made under its tách/hợp thửa dossier gets one
//! certificate per new parcel from that dossier in one go; restrictions follow the land and
//! block what the blocking table says; no step silently drops a land use's term, origin or
//! residential area; the public parcel says whether the land is mortgaged or restricted and
//! nothing more.

use std::collections::BTreeMap;

use crate::common::{rect, scalar, sql, table_changes as changes, TestApp};
use diesel::RunQueryDsl;
use serde_json::{json, Value};

/// Phường Tân An (Cần Thơ, 92): in force, no boundary on record, no sample parcels.
const COMMUNE: &str = "31147";
const TM3_105_30: &str = "http://www.opengis.net/def/crs/EPSG/0/9209";
const E0: f64 = 558_000.0;
const N0: f64 = 1_061_700.0;
const FIRST_REGISTRATION: &str = "1.012753";
const FIRST_REGISTRATION_MANAGED: &str = "1.012756";
const TRANSFER: &str = "1.013831";
const SPLIT_MERGE: &str = "1.012784";
/// Cấp đổi: its result is a replacement, not an issuance.
const REISSUE_EXCHANGE: &str = "1.012783";
const ORIGIN: &str = "Nhà nước công nhận quyền sử dụng đất";

fn spawn() -> TestApp {
    TestApp::spawn_with_temp_keys()
}

fn register_blanks(app: &TestApp, prefix: &str, last: u32) {
    let (status, body) = app.post_json(
        &app.token("admin"),
        "/certificate-blanks",
        &json!({"province": "92", "prefix": prefix, "first": 1, "last": last}),
    );
    assert_eq!(status, 201, "{body}");
}

/// Registers a `w` m × 30 m parcel `x` metres east of E0 with these land uses; its national id.
fn new_parcel(app: &TestApp, number: i32, x: f64, w: f64, land_uses: Value) -> String {
    let (status, body) = app.post_json(
        &app.token("officer92"),
        "/parcels",
        &json!({"commune": COMMUNE, "sheet": 5, "parcel": number, "crs": TM3_105_30,
                "geometry": rect(E0 + x, N0, w, 30.0), "land_uses": land_uses}),
    );
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

/// A dossier of `procedure` received by officer92 naming `parcels`; its id.
fn receive(app: &TestApp, procedure: &str, parcels: &[&str]) -> i64 {
    let (status, created) = app.post_json(
        &app.token("officer92"),
        "/dossiers",
        &json!({"procedure": procedure, "channel": "counter", "commune": COMMUNE,
                "applicant": {"kind": "person", "name": "Người Nộp Thử"}, "parcels": parcels}),
    );
    assert_eq!(status, 201, "{created}");
    created["id"].as_i64().unwrap()
}

fn event(app: &TestApp, dossier: i64, action: &str, user: &str) {
    let (status, body) =
        app.post_json(&app.token(user), &format!("/dossiers/{dossier}/events"), &json!({"action": action}));
    assert_eq!(status, 200, "{action}: {body}");
}

fn approve(app: &TestApp, dossier: i64) {
    event(app, dossier, "start_appraisal", "officer92");
    event(app, dossier, "approve", "approver92");
}

/// A passing check of `parcel` kept with `dossier` (SQL: the outcome is the test's choice).
fn passing_check(app: &TestApp, dossier: i64, parcel: &str) {
    sql(
        app,
        &format!(
            "INSERT INTO geometry_checks (dossier_id, parcel_id, outcome, report) \
             SELECT {dossier}, id, 'pass', '{{}}' FROM parcels WHERE national_id = '{parcel}'"
        ),
    );
}

fn holders_pair() -> Value {
    json!([
        {"kind": "person", "name": "Nguyễn Văn An", "id_number": "079123456789", "share": 0.5},
        {"kind": "person", "name": "Trần Thị Bé", "id_number": "079987654321", "share": 0.5},
    ])
}

/// A first-registration certificate for `parcel` through an approved dossier; the staff view.
fn certify(app: &TestApp, parcel: &str, holders: Value) -> Value {
    let dossier = receive(app, FIRST_REGISTRATION, &[parcel]);
    approve(app, dossier);
    passing_check(app, dossier, parcel);
    let (status, issued) = app.post_json(
        &app.token("approver92"),
        &format!("/dossiers/{dossier}/certificate"),
        &json!({"holders": holders, "origin": ORIGIN}),
    );
    assert_eq!(status, 201, "{issued}");
    issued
}

#[derive(diesel::QueryableByName)]
struct T {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    t: Option<String>,
}

fn texts(app: &TestApp, query: &str) -> Vec<Option<String>> {
    diesel::sql_query(query)
        .load::<T>(&mut app.db.conn())
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .into_iter()
        .map(|r| r.t)
        .collect()
}

/// The current land uses of a parcel as `code area until origin` lines, largest first.
fn recorded_land_uses(app: &TestApp, parcel: &str) -> Vec<String> {
    texts(
        app,
        &format!(
            "SELECT concat_ws(' ', lu.land_use_code, lu.area_m2::text, coalesce(lu.use_until::text, 'long-term'), \
                    coalesce(lu.origin, '-')) AS t \
               FROM parcel_land_uses lu JOIN parcel_versions v ON v.id = lu.parcel_version_id \
               JOIN parcels p ON p.id = v.parcel_id \
              WHERE p.national_id = '{parcel}' AND v.valid_to IS NULL ORDER BY lu.area_m2 DESC, lu.land_use_code"
        ),
    )
    .into_iter()
    .flatten()
    .collect()
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

#[test]
fn a_revoked_parcel_is_registered_again_through_a_first_registration_dossier() {
    let app = spawn();
    register_blanks(&app, "LA", 5);
    let parcel = new_parcel(&app, 1, 0.0, 20.0, json!([{"code": "ODT"}]));
    let first = certify(&app, &parcel, holders_pair());
    let serial = first["serial"].as_str().unwrap().to_string();
    let approver = app.token("approver92");

    // Thu hồi by a decision: the certificate is revoked and the right it proved ends with it.
    let (status, revoked) = app.post_json(
        &approver,
        &format!("/certificates/{serial}/revoke"),
        &json!({"reason": "cấp sai đối tượng", "decision": "123/QĐ-UBND"}),
    );
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["revoked_reason"], "cấp sai đối tượng (quyết định thu hồi 123/QĐ-UBND)");
    let ended = texts(
        &app,
        &format!(
            "SELECT r.ended_reason AS t FROM rrrs r JOIN certificates c ON c.rrr_id = r.id \
             WHERE c.serial = '{serial}' AND r.valid_to IS NOT NULL"
        ),
    );
    assert_eq!(ended.len(), 1, "the right ended");
    assert!(ended[0].as_deref().unwrap().contains("123/QĐ-UBND"), "{ended:?}");
    let (_, shown) = app.get_json(&format!("/parcels/{parcel}"));
    assert_eq!(shown["properties"]["holders"], json!([]), "{shown}");
    assert_eq!(shown["properties"]["certificate"]["status"], "revoked");
    assert_eq!(shown["properties"]["certificate_pending"], false);

    // A new first registration goes all the way: receive, appraise, check, approve, issue.
    let officer = app.token("officer92");
    let dossier = receive(&app, FIRST_REGISTRATION_MANAGED, &[&parcel]);
    event(&app, dossier, "start_appraisal", "officer92");
    let (status, report) = app.post_json(
        &officer,
        &format!("/dossiers/{dossier}/checks"),
        &json!({"crs": TM3_105_30, "geometry": rect(E0, N0, 20.0, 30.0), "declared_area_m2": 600.0,
                "map_scale": 500, "holders": [{"name": "Ủy ban nhân dân phường Tân An", "share": 1.0}]}),
    );
    assert_eq!(status, 201, "{report}");
    assert_ne!(report["outcome"], "fail", "{report}");
    event(&app, dossier, "approve", "approver92");
    let (status, second) = app.post_json(
        &approver,
        &format!("/dossiers/{dossier}/certificate"),
        &json!({"holders": [{"kind": "organisation", "name": "Ủy ban nhân dân phường Tân An", "share": 1.0}]}),
    );
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["status"], "valid");
    assert_eq!(second["content"]["parcel"]["national_id"], parcel.as_str());
    assert_eq!(second["content"]["replaces"], Value::Null, "a new registration, not a replacement");
    let (_, shown) = app.get_json(&format!("/parcels/{parcel}"));
    assert_eq!(shown["properties"]["certificate"]["serial"], second["serial"]);
    assert_eq!(shown["properties"]["holders"][0]["name"], "Ủy ban nhân dân phường Tân An");
    // The revoked certificate stays revoked; replacing it is still refused.
    let (_, old) = app.get_json(&format!("/certificates/verify/{serial}"));
    assert_eq!(old["status"], "revoked");
    refused(&app, "replace a revoked certificate", 409, || {
        app.post_json(&approver, &format!("/certificates/{serial}/replace"), &json!({"reason": "lost"}))
    });
}

/// The lead extends this with a mortgage carried to every part: keep its name.
#[test]
fn split_into_three_through_its_dossier_issues_three_certificates() {
    let app = spawn();
    register_blanks(&app, "LB", 9);
    let parcel = new_parcel(&app, 10, 0.0, 30.0, json!([{"code": "ODT", "origin": "Được Nhà nước giao đất"}]));
    let old = certify(&app, &parcel, holders_pair());
    let old_serial = old["serial"].as_str().unwrap().to_string();
    let (officer, approver) = (app.token("officer92"), app.token("approver92"));

    // A bank's mortgage, registered through its own procedure, is on the land.
    let mortgage_dossier = receive(&app, "9.000001", &[&parcel]);
    approve(&app, mortgage_dossier);
    let (status, registered) = app.post_json(
        &approver,
        &format!("/dossiers/{mortgage_dossier}/restrictions"),
        &json!({"legal_basis": "Nghị định 99/2022/NĐ-CP", "counterparty": "Ngân hàng Thử nghiệm",
                "reference_no": "HĐTC-9/2026", "secured_amount": 900_000_000i64}),
    );
    assert_eq!(status, 201, "{registered}");
    let mortgage = registered["restrictions"][0]["id"].as_i64().unwrap();

    // The tách thửa dossier names the parcel and is approved; the split is made under it.
    let dossier = receive(&app, SPLIT_MERGE, &[&parcel]);
    approve(&app, dossier);
    let parts = json!([
        {"parcel": 11, "geometry": rect(E0, N0, 10.0, 30.0)},
        {"parcel": 12, "geometry": rect(E0 + 10.0, N0, 10.0, 30.0)},
        {"parcel": 13, "geometry": rect(E0 + 20.0, N0, 10.0, 30.0)},
    ]);
    let body = json!({"crs": TM3_105_30, "reason": "chia cho ba con", "dossier": dossier, "parts": parts});
    refused(&app, "an officer splits a certified parcel", 403, || {
        app.post_json(&officer, &format!("/parcels/{parcel}/split"), &body)
    });
    let (status, split) = app.post_json(&approver, &format!("/parcels/{parcel}/split"), &body);
    assert_eq!(status, 201, "{split}");
    let ids: Vec<String> =
        split["parcels"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 3);
    assert!(split["dossier"].is_string(), "{split}");
    let (_, old_now) = app.get_json(&format!("/certificates/verify/{old_serial}"));
    assert_eq!(old_now["status"], "revoked", "the split revokes the old certificate");
    for id in &ids {
        let (_, part) = app.get_json(&format!("/parcels/{id}"));
        let p = &part["properties"];
        assert_eq!(p["certificate_pending"], true, "{part}");
        assert_eq!(p["certificate"], Value::Null);
        assert_eq!(p["holders"].as_array().unwrap().len(), 2, "the holders follow the land");
        // A part without stated land uses keeps the parcel's, with its origin.
        assert_eq!(recorded_land_uses(&app, id), ["ODT 300.0 long-term Được Nhà nước giao đất"]);
        // The mortgage followed the land to every part.
        assert_eq!(p["has_mortgage"], true, "{part}");
        let (status, list) = app.get_json_auth(&officer, &format!("/parcels/{id}/restrictions"));
        assert_eq!(status, 200, "{list}");
        assert_eq!(list["restrictions"][0]["carried_from"], mortgage, "{list}");
        assert_eq!(list["restrictions"][0]["counterparty"], "Ngân hàng Thử nghiệm");
    }
    let (_, history) = app.get_json_auth(&officer, &format!("/parcels/{parcel}/restrictions"));
    assert_eq!(history["restrictions"][0]["in_force"], false, "ended on the retired parcel: {history}");
    assert_eq!(
        scalar(&app, &format!("SELECT count(*) AS n FROM dossier_parcels WHERE dossier_id = {dossier}")),
        4,
        "the parts joined the dossier"
    );

    // One issuance, three certificates, one transaction; the holders carried from the old right.
    let before = app.row_counts();
    let (status, issued) = app.post_json(&approver, &format!("/dossiers/{dossier}/certificate"), &json!({}));
    assert_eq!(status, 201, "{issued}");
    let certificates = issued["certificates"].as_array().unwrap();
    assert_eq!(certificates.len(), 3, "{issued}");
    let mut parcels: Vec<String> =
        certificates.iter().map(|c| c["content"]["parcel"]["national_id"].as_str().unwrap().to_string()).collect();
    parcels.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(parcels, expected);
    for c in certificates {
        assert_eq!(c["status"], "valid");
        assert_eq!(c["dossier_id"], dossier);
        assert_eq!(c["content"]["holders"], old["content"]["holders"], "the old holders and shares");
        assert_eq!(c["content"]["origin"], ORIGIN, "the old certificate's origin");
        assert_eq!(c["content"]["parcel"]["area_m2"], 300.0);
        // … and each part's certificate carries the mortgage in its changes after issuance.
        let entry = c["content"]["endorsements"][0]["text"].as_str().unwrap_or_default();
        assert!(entry.contains("thế chấp") && entry.contains("HĐTC-9/2026"), "{c}");
    }
    let diff = changes(&before, &app.row_counts());
    assert_eq!(diff.get("certificates"), Some(&3), "{diff:?}");
    assert_eq!(diff.get("audit_log"), Some(&3), "{diff:?}");
    assert_eq!(diff.get("rrrs"), None, "the pending rights are certified as they are: {diff:?}");
    for id in &ids {
        let (_, part) = app.get_json(&format!("/parcels/{id}"));
        assert_eq!(part["properties"]["certificate_pending"], false);
        assert_eq!(part["properties"]["certificate"]["status"], "valid");
    }
    // Each part's right continues the old one.
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT count(*) AS n FROM rrrs r JOIN certificates c ON c.rrr_id = r.carried_from_id \
                 WHERE c.serial = '{old_serial}' AND r.valid_to IS NULL AND r.registered_dossier_id = {dossier}"
            )
        ),
        3
    );
    refused(&app, "issue the dossier twice", 409, || {
        app.post_json(&approver, &format!("/dossiers/{dossier}/certificate"), &json!({}))
    });
}

#[test]
fn a_split_dossier_must_be_approved_of_its_procedure_and_name_the_parcel() {
    let app = spawn();
    let approver = app.token("approver92");
    let parcel = new_parcel(&app, 20, 0.0, 20.0, json!([{"code": "ODT"}]));
    let other = new_parcel(&app, 21, 40.0, 20.0, json!([{"code": "ODT"}]));
    let body = |dossier: i64| {
        json!({"crs": TM3_105_30, "reason": "chia", "dossier": dossier, "parts": [
            {"parcel": 22, "geometry": rect(E0, N0, 10.0, 30.0)},
            {"parcel": 23, "geometry": rect(E0 + 10.0, N0, 10.0, 30.0)}]})
    };
    let received = receive(&app, SPLIT_MERGE, &[&parcel]);
    let problem = refused(&app, "split under a dossier not approved", 409, || {
        app.post_json(&approver, &format!("/parcels/{parcel}/split"), &body(received))
    });
    assert_eq!(problem["errors"][0]["pointer"], "/dossier");
    let transfer = receive(&app, TRANSFER, &[&parcel]);
    approve(&app, transfer);
    let problem = refused(&app, "split under a transfer dossier", 422, || {
        app.post_json(&approver, &format!("/parcels/{parcel}/split"), &body(transfer))
    });
    assert_eq!(problem["errors"][0]["pointer"], "/dossier");
    let elsewhere = receive(&app, SPLIT_MERGE, &[&other]);
    approve(&app, elsewhere);
    let problem = refused(&app, "split under a dossier of another parcel", 422, || {
        app.post_json(&approver, &format!("/parcels/{parcel}/split"), &body(elsewhere))
    });
    assert!(problem["errors"][0]["message"].as_str().unwrap().contains(&parcel), "{problem}");
    refused(&app, "split under no such dossier", 422, || {
        app.post_json(&approver, &format!("/parcels/{parcel}/split"), &body(999_999))
    });
    // An issuance with nothing pending says how to get something pending.
    let problem = refused(&app, "issue a split dossier before the split", 409, || {
        app.post_json(&approver, &format!("/dossiers/{elsewhere}/certificate"), &json!({}))
    });
    assert!(problem["detail"].as_str().unwrap().contains("/split"), "{problem}");
}

#[test]
fn outcomes_recorded_elsewhere_issue_nothing_here() {
    let app = spawn();
    let approver = app.token("approver92");
    register_blanks(&app, "LC", 3);
    let parcel = new_parcel(&app, 30, 0.0, 20.0, json!([{"code": "ODT"}]));
    certify(&app, &parcel, holders_pair());
    let dossier = receive(&app, REISSUE_EXCHANGE, &[&parcel]);
    approve(&app, dossier);
    passing_check(&app, dossier, &parcel);
    let problem = refused(&app, "issue a cấp đổi dossier", 409, || {
        app.post_json(&approver, &format!("/dossiers/{dossier}/certificate"), &json!({"holders": holders_pair()}))
    });
    assert!(problem["detail"].as_str().unwrap().contains("/replace"), "{problem}");
    // A first registration must name its holders.
    let fresh = new_parcel(&app, 31, 40.0, 20.0, json!([{"code": "ODT"}]));
    let d = receive(&app, FIRST_REGISTRATION, &[&fresh]);
    approve(&app, d);
    passing_check(&app, d, &fresh);
    let problem = refused(&app, "first registration without holders", 422, || {
        app.post_json(&approver, &format!("/dossiers/{d}/certificate"), &json!({}))
    });
    assert_eq!(problem["errors"][0]["pointer"], "/holders");
}

/// Records a seizure on a parcel as an enforcement body's decision arrives (SQL fixture).
fn seize(app: &TestApp, parcel: &str) {
    sql(
        app,
        &format!(
            "INSERT INTO rrrs (kind, parcel_id, parcel_version_id, source_document, legal_basis, counterparty, reference_no) \
             SELECT 'seizure', v.parcel_id, v.id, 'quyết định kê biên 7/QĐ-CCTHADS', 'Luật Thi hành án dân sự', \
                    'Chi cục Thi hành án dân sự', '7/QĐ-CCTHADS' \
               FROM parcel_versions v JOIN parcels p ON p.id = v.parcel_id \
              WHERE p.national_id = '{parcel}' AND v.valid_to IS NULL"
        ),
    );
}

#[test]
fn a_seizure_blocks_issue_transfer_split_and_merge() {
    let app = spawn();
    register_blanks(&app, "LD", 5);
    let approver = app.token("approver92");
    let (a, b) = (
        new_parcel(&app, 40, 0.0, 20.0, json!([{"code": "ODT"}])),
        new_parcel(&app, 41, 20.0, 20.0, json!([{"code": "ODT"}])),
    );
    let c = new_parcel(&app, 46, 40.0, 20.0, json!([{"code": "ODT"}]));
    let fresh = new_parcel(&app, 42, 60.0, 20.0, json!([{"code": "ODT"}]));
    certify(&app, &a, holders_pair());
    let transfer = receive(&app, TRANSFER, &[&a]);
    approve(&app, transfer);
    let first = receive(&app, FIRST_REGISTRATION, &[&fresh]);
    approve(&app, first);
    seize(&app, &a);
    seize(&app, &b);
    seize(&app, &fresh);
    // Checks made after the seizure: only the blocking table stands in the way.
    passing_check(&app, transfer, &a);
    passing_check(&app, first, &fresh);
    let r7 = |problem: &Value| {
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.starts_with("R7.2") && detail.contains("seizure"), "{problem}");
    };
    r7(&refused(&app, "transfer of a seized parcel", 409, || {
        app.post_json(
            &approver,
            &format!("/dossiers/{transfer}/certificate"),
            &json!({"holders": [{"kind": "person", "name": "Lê Văn Mua", "share": 1.0}]}),
        )
    }));
    r7(&refused(&app, "first registration of a seized parcel", 409, || {
        app.post_json(&approver, &format!("/dossiers/{first}/certificate"), &json!({"holders": holders_pair()}))
    }));
    r7(&refused(&app, "split of a seized parcel", 409, || {
        app.post_json(
            &approver,
            &format!("/parcels/{a}/split"),
            &json!({"crs": TM3_105_30, "reason": "chia", "parts": [
                {"parcel": 43, "geometry": rect(E0, N0, 10.0, 30.0)},
                {"parcel": 44, "geometry": rect(E0 + 10.0, N0, 10.0, 30.0)}]}),
        )
    }));
    r7(&refused(&app, "merge with a seized parcel", 409, || {
        app.post_json(&approver, "/parcels/merge", &json!({"parcels": [b, c], "parcel": 45, "reason": "hợp"}))
    }));
}

#[test]
fn a_merge_keeps_terms_and_origins() {
    let app = spawn();
    let officer = app.token("officer92");
    let uses = json!([
        {"code": "ODT", "area_m2": 100.0, "origin": "Công nhận đất ở"},
        {"code": "CLN", "area_m2": 500.0, "use_until": "2064-10-15", "origin": "Nhà nước giao đất có thu tiền"},
    ]);
    let a = new_parcel(&app, 50, 0.0, 20.0, uses.clone());
    let b = new_parcel(&app, 51, 20.0, 20.0, uses);
    let (status, merged) =
        app.post_json(&officer, "/parcels/merge", &json!({"parcels": [a, b], "parcel": 52, "reason": "hợp thửa"}));
    assert_eq!(status, 201, "{merged}");
    let id = merged["parcel"]["id"].as_str().unwrap();
    assert_eq!(
        recorded_land_uses(&app, id),
        ["CLN 1000.0 2064-10-15 Nhà nước giao đất có thu tiền", "ODT 200.0 long-term Công nhận đất ở"]
    );
    assert_eq!(merged["parcel"]["properties"]["land_uses"][0]["use_until"], "2064-10-15");

    // Parcels whose same land use has different terms: nothing is picked silently.
    let c = new_parcel(&app, 53, 60.0, 20.0, json!([{"code": "CLN", "use_until": "2050-01-01"}]));
    let d = new_parcel(&app, 54, 80.0, 20.0, json!([{"code": "CLN", "use_until": "2060-01-01"}]));
    let problem = refused(&app, "merge of different terms", 422, || {
        app.post_json(&officer, "/parcels/merge", &json!({"parcels": [c, d], "parcel": 55, "reason": "hợp"}))
    });
    assert_eq!(problem["errors"][0]["pointer"], "/land_uses");
    // Stated, they are taken as stated.
    let (status, merged) = app.post_json(
        &officer,
        "/parcels/merge",
        &json!({"parcels": [c, d], "parcel": 55, "reason": "hợp",
                "land_uses": [{"code": "CLN", "use_until": "2060-01-01"}]}),
    );
    assert_eq!(status, 201, "{merged}");
}

#[test]
fn a_new_boundary_keeps_origins_and_the_residential_area() {
    let app = spawn();
    let officer = app.token("officer92");
    let id = new_parcel(
        &app,
        60,
        0.0,
        20.0,
        json!([
            {"code": "ODT", "area_m2": 200.0, "origin": "Công nhận đất ở"},
            {"code": "CLN", "area_m2": 400.0, "use_until": "2064-10-15", "origin": "Nhà nước giao đất"},
        ]),
    );
    let put = |geometry: Value, land_uses: Option<Value>| {
        let mut body = json!({"crs": TM3_105_30, "geometry": geometry, "reason": "đo đạc lại"});
        if let Some(l) = land_uses {
            body["land_uses"] = l;
        }
        let r = app.client.put(app.url(&format!("/parcels/{id}/geometry"))).bearer_auth(&officer).json(&body).send();
        let r = r.unwrap();
        (r.status().as_u16(), r.json::<Value>().unwrap_or(Value::Null))
    };
    // 620 m²: the residential 200 m² stay, the garden land takes the 20 m² more.
    let (status, body) = put(rect(E0, N0, 20.0, 31.0), None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        recorded_land_uses(&app, &id),
        ["CLN 420.0 2064-10-15 Nhà nước giao đất", "ODT 200.0 long-term Công nhận đất ở"]
    );
    // 180 m² cannot hold the recorded 200 m² of residential land: say what the land is.
    let problem =
        refused(&app, "a boundary smaller than the residential land", 422, || put(rect(E0, N0, 20.0, 9.0), None));
    assert_eq!(problem["errors"][0]["pointer"], "/land_uses");
    let (status, body) = put(rect(E0, N0, 20.0, 9.0), Some(json!([{"code": "ODT"}])));
    assert_eq!(status, 200, "{body}");
    assert_eq!(recorded_land_uses(&app, &id), ["ODT 180.0 long-term Công nhận đất ở"], "the origin is kept");
}

#[test]
fn split_parts_keep_the_terms_and_origins_of_their_land_use() {
    let app = spawn();
    let officer = app.token("officer92");
    let id = new_parcel(
        &app,
        70,
        0.0,
        20.0,
        json!([{"code": "CLN", "use_until": "2064-10-15", "origin": "Nhà nước giao đất có thu tiền"}]),
    );
    let (status, split) = app.post_json(
        &officer,
        &format!("/parcels/{id}/split"),
        &json!({"crs": TM3_105_30, "reason": "chia", "parts": [
            {"parcel": 71, "geometry": rect(E0, N0, 8.0, 30.0), "land_uses": [{"code": "CLN"}]},
            {"parcel": 72, "geometry": rect(E0 + 8.0, N0, 12.0, 30.0)}]}),
    );
    assert_eq!(status, 201, "{split}");
    let parts = split["parcels"].as_array().unwrap();
    assert_eq!(
        recorded_land_uses(&app, parts[0]["id"].as_str().unwrap()),
        ["CLN 240.0 2064-10-15 Nhà nước giao đất có thu tiền"]
    );
    assert_eq!(
        recorded_land_uses(&app, parts[1]["id"].as_str().unwrap()),
        ["CLN 360.0 2064-10-15 Nhà nước giao đất có thu tiền"]
    );
    assert_eq!(parts[0]["properties"]["land_uses"][0]["use_until"], "2064-10-15");
}

#[test]
fn the_public_parcel_says_mortgaged_and_restricted_but_never_who_or_how_much() {
    let app = spawn();
    register_blanks(&app, "LE", 3);
    let plain = new_parcel(&app, 80, 0.0, 20.0, json!([{"code": "ODT"}]));
    let mortgaged = new_parcel(&app, 81, 40.0, 20.0, json!([{"code": "ODT"}]));
    certify(&app, &mortgaged, holders_pair());
    sql(
        &app,
        &format!(
            "INSERT INTO rrrs (kind, parcel_id, parcel_version_id, source_document, legal_basis, counterparty, \
                               reference_no, secured_amount) \
             SELECT 'mortgage', v.parcel_id, v.id, 'hợp đồng thế chấp', 'Nghị định 99/2022/NĐ-CP', \
                    'Ngân hàng TMCP Kiểm Thử', 'HĐTC-4521/2026', 1500000000 \
               FROM parcel_versions v JOIN parcels p ON p.id = v.parcel_id \
              WHERE p.national_id = '{mortgaged}' AND v.valid_to IS NULL"
        ),
    );
    let (_, shown) = app.get_json(&format!("/parcels/{plain}"));
    assert_eq!(
        (&shown["properties"]["has_mortgage"], &shown["properties"]["restricted"]),
        (&json!(false), &json!(false))
    );
    let r = app.get(&format!("/parcels/{mortgaged}"));
    assert_eq!(r.status(), 200);
    let text = r.text().unwrap();
    for secret in ["Kiểm Thử", "HĐTC-4521", "1500000000", "Nghị định 99"] {
        assert!(!text.contains(secret), "the public parcel shows {secret}: {text}");
    }
    let shown: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (&shown["properties"]["has_mortgage"], &shown["properties"]["restricted"]),
        (&json!(true), &json!(true))
    );
    assert_eq!(shown["properties"]["certificate_pending"], false);
}
