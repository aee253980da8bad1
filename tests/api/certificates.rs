//! Certificates over real HTTP and a real PostGIS: blank stock, issuance for an approved dossier
//! (and 20 racing requests for it), verification, offline QR signature checks, transfer,
//! replacement, revocation, the printed sheet, and refusals that change nothing.

use std::collections::BTreeMap;

use crate::common::TestApp;
use crate::common::{scalar, sql, table_changes as changes};
use diesel::RunQueryDsl;
use domain::certificate::canonical_json;
use domain::certificate::qr::verify_canonical;
use serde_json::{json, Value};

/// Phường Tân An (Cần Thơ): in force, no boundary on record, no sample parcels.
const COMMUNE: &str = "31147";
const TM3_105_30: &str = "http://www.opengis.net/def/crs/EPSG/0/9209";
/// A free spot in TM-3 105°30′ about 2 km east of the Sóc Trăng sample.
const E0: f64 = 554_000.0;
const N0: f64 = 1_061_700.0;
/// Thủ tục: first registration with a certificate; transfer / inheritance / gift.
const FIRST_REGISTRATION: &str = "1.012753";
const TRANSFER: &str = "1.013831";

fn spawn() -> TestApp {
    TestApp::spawn_with_temp_keys()
}

fn post(app: &TestApp, token: &str, path: &str, body: &Value) -> (u16, Value) {
    app.post_json(token, path, body)
}

fn register_blanks(app: &TestApp, prefix: &str, first: u32, last: u32) {
    let admin = app.token("admin");
    let (status, body) = post(
        app,
        &admin,
        "/certificate-blanks",
        &json!({"province": "92", "prefix": prefix, "first": first, "last": last}),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["count"], (last - first + 1) as u64);
}

/// Registers a 20 m × 30 m parcel (officer92) `offset` lots east of E0; returns its national id.
fn new_parcel(app: &TestApp, number: i32, offset: f64) -> String {
    let officer = app.token("officer92");
    let x0 = E0 + offset * 25.0;
    let geometry = json!({"type": "Polygon", "coordinates": [[[x0, N0], [x0 + 20.0, N0], [x0 + 20.0, N0 + 30.0], [x0, N0 + 30.0], [x0, N0]]]});
    let (status, body) = post(
        app,
        &officer,
        "/parcels",
        &json!({
            "commune": COMMUNE, "sheet": 7, "parcel": number, "crs": TM3_105_30,
            "geometry": geometry, "land_uses": [{"code": "ODT"}], "address": "số 1 đường thử"
        }),
    );
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

/// A dossier on the parcel, received through `POST /dossiers` and moved to `state` (received,
/// appraising or approved) through `POST /dossiers/{id}/events`; with `check`, a geometry check
/// with that outcome, about the dossier's parcel (inserted with SQL, so that the outcome is the
/// test's choice).
fn dossier(app: &TestApp, national_id: &str, procedure: &str, state: &str, check: Option<&str>) -> i64 {
    let officer = app.token("officer92");
    let (_, parcel) = app.get_json(&format!("/parcels/{national_id}"));
    let commune = parcel["properties"]["commune_code"].as_str().unwrap();
    let (status, created) = post(
        app,
        &officer,
        "/dossiers",
        &json!({
            "procedure": procedure, "channel": "counter", "commune": commune,
            "applicant": {"kind": "person", "name": "Người Nộp Hồ Sơ"}, "parcels": [national_id],
        }),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let steps: &[(&str, &str)] = match state {
        "received" => &[],
        "appraising" => &[("start_appraisal", "officer92")],
        "approved" => &[("start_appraisal", "officer92"), ("approve", "approver92")],
        other => panic!("no route to state {other}"),
    };
    for (action, user) in steps {
        let (status, body) = post(app, &app.token(user), &format!("/dossiers/{id}/events"), &json!({"action": action}));
        assert_eq!(status, 200, "{action}: {body}");
    }
    assert_eq!(scalar(app, &format!("SELECT count(*) AS n FROM dossiers WHERE id = {id} AND state = '{state}'")), 1);
    if let Some(outcome) = check {
        sql(
            app,
            &format!(
                "INSERT INTO geometry_checks (dossier_id, parcel_id, outcome, report) \
                 SELECT {id}, id, '{outcome}', '{{}}' FROM parcels WHERE national_id = '{national_id}'"
            ),
        );
    }
    id
}

fn holders_pair() -> Value {
    json!([
        {"kind": "person", "name": "Nguyễn Văn An", "id_number": "079123456789", "share": 0.5},
        {"kind": "person", "name": "Trần Thị <script>alert(1)</script>Bé", "id_number": "079987654321", "share": 0.5},
    ])
}

fn issue(app: &TestApp, token: &str, dossier: i64, holders: Value) -> (u16, Value) {
    post(
        app,
        token,
        &format!("/dossiers/{dossier}/certificate"),
        &json!({"holders": holders, "origin": "Nhà nước công nhận quyền sử dụng đất"}),
    )
}

fn public_key(app: &TestApp, key_id: &str) -> ed25519_dalek::VerifyingKey {
    let (status, keys) = app.get_json("/certificates/keys");
    assert_eq!(status, 200);
    let entry = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key_id"] == key_id)
        .unwrap_or_else(|| panic!("key {key_id} not listed: {keys}"));
    let bytes: [u8; 32] = hex::decode(entry["public_key"].as_str().unwrap()).unwrap().try_into().unwrap();
    ed25519_dalek::VerifyingKey::from_bytes(&bytes).unwrap()
}

/// The canonical content with one byte changed (flipping its ASCII case, or the low bit).
fn tampered(canonical: &str, index: usize) -> Vec<u8> {
    let mut bytes = canonical.as_bytes().to_vec();
    bytes[index] ^= if bytes[index].is_ascii_alphabetic() { 0x20 } else { 0x01 };
    bytes
}

#[test]
fn twenty_concurrent_issuances_give_one_certificate() {
    let app = spawn();
    register_blanks(&app, "AC", 1, 30);
    let parcel = new_parcel(&app, 1, 0.0);
    let dossier = dossier(&app, &parcel, FIRST_REGISTRATION, "approved", Some("pass"));
    let token = app.token("approver92");
    let before = app.row_counts();
    let barrier = std::sync::Barrier::new(20);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|_| {
                let (client, url, token, barrier) =
                    (app.client.clone(), app.url(&format!("/dossiers/{dossier}/certificate")), token.clone(), &barrier);
                s.spawn(move || {
                    barrier.wait();
                    client
                        .post(url)
                        .bearer_auth(token)
                        .json(&json!({"holders": holders_pair()}))
                        .send()
                        .unwrap()
                        .status()
                        .as_u16()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created = statuses.iter().filter(|s| **s == 201).count();
    let conflicts = statuses.iter().filter(|s| **s == 409).count();
    println!("20 requests: {created}×201, {conflicts}×409");
    assert_eq!((created, conflicts), (1, 19), "{statuses:?}");
    // Only the one issuance's rows: its certificate, right, two holders with their shares, the
    // registry counter of the year, the office's public key (first use of this key directory)
    // and one audit entry. The blank changed status, not count.
    let diff = changes(&before, &app.row_counts());
    let expected: BTreeMap<String, i64> = [
        ("audit_log", 1),
        ("certificates", 1),
        ("parties", 2),
        ("registry_counters", 1),
        ("rrr_shares", 2),
        ("rrrs", 1),
        ("signing_keys", 1),
    ]
    .into_iter()
    .map(|(t, n)| (t.to_string(), n))
    .collect();
    assert_eq!(diff, expected);
    assert_eq!(
        scalar(&app, "SELECT count(*) AS n FROM certificate_blanks WHERE serial LIKE 'AC%' AND status = 'issued'"),
        1
    );
    assert_eq!(scalar(&app, "SELECT last_no::bigint AS n FROM registry_counters WHERE province_code = '92' AND year = extract(year FROM now() AT TIME ZONE 'Asia/Ho_Chi_Minh')"), 1);
}

#[test]
fn racing_dossiers_for_one_parcel_are_stopped_by_the_database() {
    // Ten dossiers on the same parcel, issued at once: each holds its own dossier lock, so only
    // the one-current-use-right index can stop the others.
    let app = spawn();
    register_blanks(&app, "AD", 1, 30);
    let parcel = new_parcel(&app, 1, 0.0);
    let dossiers: Vec<i64> =
        (0..10).map(|_| dossier(&app, &parcel, FIRST_REGISTRATION, "approved", Some("pass"))).collect();
    let token = app.token("approver92");
    let before = app.row_counts();
    let barrier = std::sync::Barrier::new(dossiers.len());
    let results: Vec<(u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = dossiers
            .iter()
            .map(|d| {
                let (client, url, token, barrier) =
                    (app.client.clone(), app.url(&format!("/dossiers/{d}/certificate")), token.clone(), &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let r = client
                        .post(url)
                        .bearer_auth(token)
                        .json(&json!({"holders": [{"kind": "organisation", "name": "Công ty Thử", "share": 1.0}]}))
                        .send()
                        .unwrap();
                    (r.status().as_u16(), r.json::<Value>().unwrap())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created = results.iter().filter(|(s, _)| *s == 201).count();
    println!("10 dossiers, one parcel: {created}×201, {}×409", results.iter().filter(|(s, _)| *s == 409).count());
    assert_eq!(created, 1, "{results:?}");
    assert!(results.iter().all(|(s, _)| *s == 201 || *s == 409), "{results:?}");
    for (_, body) in results.iter().filter(|(s, _)| *s == 409) {
        assert!(body["detail"].as_str().unwrap().contains("current use right"), "{body}");
    }
    let diff = changes(&before, &app.row_counts());
    assert_eq!(diff.get("certificates"), Some(&1));
    assert_eq!(diff.get("rrrs"), Some(&1));
    assert_eq!(diff.get("parties"), Some(&1));
    assert_eq!(diff.get("audit_log"), Some(&1));
}

#[test]
fn issue_verify_transfer_verify_with_offline_signatures() {
    let app = spawn();
    register_blanks(&app, "ĐC", 1, 10);
    let parcel = new_parcel(&app, 1, 0.0);
    let dossier = dossier(&app, &parcel, FIRST_REGISTRATION, "approved", Some("pass"));
    let approver = app.token("approver92");

    let (status, first) = issue(&app, &approver, dossier, holders_pair());
    assert_eq!(status, 201, "{first}");
    let serial = first["serial"].as_str().unwrap().to_string();
    assert_eq!(serial, "ĐC00000001");
    assert_eq!(first["status"], "valid");
    assert_eq!(first["registry_no"], "CS 00001");
    let content = &first["content"];
    assert_eq!(content["parcel"]["national_id"], parcel.as_str());
    assert_eq!(content["parcel"]["area_m2"], 600.0);
    assert_eq!(content["parcel"]["land_uses"][0]["code"], "ODT");
    assert_eq!(content["parcel"]["land_uses"][0]["name"], "Đất ở tại đô thị");
    assert_eq!(content["parcel"]["use_form"], "joint");
    assert_eq!(content["parcel"]["sheet_no"], 7);
    assert_eq!(content["holders"][1]["id_number"], "079987654321");
    assert_eq!(content["authority"], "Văn phòng đăng ký đất đai thành phố Cần Thơ");
    assert_eq!(content["registry_no"], "CS 00001");
    assert_eq!(scalar(&app, &format!("SELECT dossier_id AS n FROM certificates WHERE serial = '{serial}'")), dossier);

    // Public verification: valid, masked names, no id numbers.
    let r = app.get(&format!("/certificates/verify/{serial}"));
    assert_eq!(r.status(), 200);
    let text = r.text().unwrap();
    assert!(!text.contains("079123456789") && !text.contains("079987654321") && !text.contains("Văn An"), "{text}");
    let verified: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(verified["status"], "valid");
    assert_eq!(verified["national_parcel_id"], parcel.as_str());
    assert_eq!(verified["issued_on"], content["issued_on"]);
    assert_eq!(verified["holders"][0]["name"], "Nguyễn V. A.");

    // Offline: the QR payload verifies with the published key, and no longer with any byte changed.
    // The QR carries a signed reference (serial, content hash, key id); the content comes
    // with the certificate.
    let payload = first["qr_payload"].as_str().unwrap();
    let encoded_serial = serial.replace('Đ', "%C4%90");
    assert!(payload.starts_with(&format!("{}/certificates/verify/{encoded_serial}?h=", app.base)), "{payload}");
    let key = public_key(&app, first["key_id"].as_str().unwrap());
    let canonical = canonical_json(content);
    verify_canonical(payload, &key, canonical.as_bytes()).expect("the untouched payload verifies");
    let length = canonical.len();
    for index in [0, 1, length / 3, length / 2, length - 2, length - 1] {
        assert!(
            verify_canonical(payload, &key, &tampered(&canonical, index)).is_err(),
            "byte {index} changed but verified"
        );
    }
    println!("offline: untouched payload verified; 6 single-byte changes refused (content {length} bytes)");

    // Transfer (tặng cho) to one new holder, through a dossier of the transfer procedure.
    let transfer = self::dossier(&app, &parcel, TRANSFER, "approved", Some("pass"));
    let (status, second) = post(
        &app,
        &approver,
        &format!("/dossiers/{transfer}/certificate"),
        &json!({
            "holders": [{"kind": "person", "name": "Lê Minh Châu", "id_number": "079000000001", "share": 1.0}],
            "origin": "Được tặng cho quyền sử dụng đất"
        }),
    );
    assert_eq!(status, 201, "{second}");
    let new_serial = second["serial"].as_str().unwrap().to_string();
    assert_eq!(new_serial, "ĐC00000002");
    assert_eq!(second["registry_no"], "CS 00002");
    assert_eq!(second["content"]["replaces"], json!({"serial": serial, "reason": "transfer"}));
    assert_eq!(second["content"]["origin"], "Được tặng cho quyền sử dụng đất");
    assert_eq!(second["content"]["parcel"]["use_form"], "sole");

    let (_, old) = app.get_json(&format!("/certificates/verify/{serial}"));
    assert_eq!(
        (old["status"].as_str(), old["replaced_by"].as_str(), old["valid"].as_bool()),
        (Some("replaced"), Some(new_serial.as_str()), Some(false))
    );
    let (_, new) = app.get_json(&format!("/certificates/verify/{new_serial}"));
    assert_eq!(new["status"], "valid");
    assert_eq!(new["holders"], json!([{"kind": "person", "name": "Lê M. C.", "share": 1.0}]));
    let key = public_key(&app, second["key_id"].as_str().unwrap());
    let canonical = canonical_json(&second["content"]);
    assert!(verify_canonical(second["qr_payload"].as_str().unwrap(), &key, canonical.as_bytes()).is_ok());

    // History kept: two use rights on the parcel, the first ended; the parcel shows the new one.
    let pid = format!("(SELECT id FROM parcels WHERE national_id = '{parcel}')");
    assert_eq!(
        scalar(&app, &format!("SELECT count(*) AS n FROM rrrs WHERE parcel_id = {pid} AND kind = 'use_right'")),
        2
    );
    assert_eq!(
        scalar(&app, &format!("SELECT count(*) AS n FROM rrrs WHERE parcel_id = {pid} AND valid_to IS NULL")),
        1
    );
    let (_, feature) = app.get_json(&format!("/parcels/{parcel}"));
    assert_eq!(feature["properties"]["certificate"]["serial"], new_serial.as_str());
    assert_eq!(feature["properties"]["holders"][0]["name"], "Lê M. C.");
    let actions = diesel::sql_query("SELECT action AS serial FROM audit_log WHERE entity = 'certificate' ORDER BY id")
        .load::<Serial>(&mut app.db.conn())
        .unwrap()
        .into_iter()
        .map(|s| s.serial)
        .collect::<Vec<_>>();
    assert_eq!(actions, ["certificate.issue", "certificate.transfer"]);
}

#[derive(diesel::QueryableByName)]
struct Serial {
    #[diesel(sql_type = diesel::sql_types::Text)]
    serial: String,
}

#[test]
fn the_printed_sheet_has_both_pages_the_diagram_and_escaped_names() {
    let app = spawn();
    register_blanks(&app, "AE", 1, 5);
    let parcel = new_parcel(&app, 1, 0.0);
    let dossier = dossier(&app, &parcel, FIRST_REGISTRATION, "approved", Some("warn"));
    let (status, issued) = issue(&app, &app.token("approver92"), dossier, holders_pair());
    assert_eq!(status, 201, "{issued}");
    let r =
        app.client.get(app.url("/certificates/AE00000001/print")).bearer_auth(app.token("officer92")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    let html = r.text().unwrap();
    assert_eq!(html.matches("<section class=\"page").count(), 2);
    assert_eq!(html.matches("<svg").count(), 2, "the QR code and the diagram");
    for needle in [
        "Mã Giấy chứng nhận",
        "1. Người sử dụng đất",
        "Thửa đất số: <b>1</b>; Tờ bản đồ số: <b>7</b>",
        "Diện tích: <b>600,0 m²</b>",
        "Đất ở tại đô thị (ODT): 600,0 m²",
        "Lâu dài",
        "Sử dụng chung",
        "3. Tài sản gắn liền với đất",
        "5. Sơ đồ thửa đất",
        "6. Những thay đổi sau khi cấp Giấy chứng nhận",
        "Số vào sổ cấp Giấy chứng nhận: CS 00001",
        "Số phát hành: AE00000001",
        ">20,00<",
        ">30,00<",
        "EPSG:9209",
        "079123456789",
        &parcel,
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    assert!(!html.contains("<script>"), "a holder's name became markup");
    assert!(html.contains("Trần Thị &lt;script&gt;alert(1)&lt;/script&gt;Bé"));
    // Staff only, and only in the certificate's province.
    assert_eq!(app.get("/certificates/AE00000001/print").status(), 401);
    let r =
        app.client.get(app.url("/certificates/AE00000001/print")).bearer_auth(app.token("officer56")).send().unwrap();
    assert_eq!(r.status(), 403);
}

#[test]
fn refusals_change_nothing() {
    let app = spawn();
    let approver = app.token("approver92");
    let parcel = new_parcel(&app, 1, 0.0);
    let ok = dossier(&app, &parcel, FIRST_REGISTRATION, "approved", Some("pass"));
    let appraising = dossier(&app, &parcel, FIRST_REGISTRATION, "appraising", Some("pass"));
    let unchecked = dossier(&app, &parcel, FIRST_REGISTRATION, "approved", None);
    let failed = dossier(&app, &parcel, FIRST_REGISTRATION, "approved", Some("fail"));
    let run = |label: &str, expected: u16, action: &dyn Fn() -> (u16, Value)| {
        let before = app.row_counts();
        let (status, body) = action();
        assert_eq!(status, expected, "{label}: {body}");
        assert_eq!(changes(&before, &app.row_counts()), BTreeMap::new(), "{label} wrote something");
        println!("{label}: {status} {}", body["detail"]);
    };
    // No blank stock yet: the dossier is fine otherwise.
    run("no blank stock", 409, &|| issue(&app, &approver, ok, holders_pair()));
    register_blanks(&app, "AF", 1, 5);
    run("dossier not approved", 409, &|| issue(&app, &approver, appraising, holders_pair()));
    run("no geometry check", 409, &|| issue(&app, &approver, unchecked, holders_pair()));
    run("failed geometry check", 409, &|| issue(&app, &approver, failed, holders_pair()));
    run("shares add up to 0.9", 422, &|| {
        issue(
            &app,
            &approver,
            ok,
            json!([{"kind": "person", "name": "A B", "share": 0.5}, {"kind": "person", "name": "C D", "share": 0.4}]),
        )
    });
    run("unknown holder kind", 422, &|| {
        issue(&app, &approver, ok, json!([{"kind": "company", "name": "A", "share": 1.0}]))
    });
    let officer = app.token("officer92");
    run("officer may not issue", 403, &|| issue(&app, &officer, ok, holders_pair()));
    run("unknown dossier", 404, &|| issue(&app, &approver, 999_999, holders_pair()));
    run("unknown field", 400, &|| {
        post(
            &app,
            &approver,
            &format!("/dossiers/{ok}/certificate"),
            &json!({"holders": holders_pair(), "colour": "red"}),
        )
    });

    // A boundary change after the check makes the check stale.
    let x0 = E0;
    let r = app.client.put(app.url(&format!("/parcels/{parcel}/geometry"))).bearer_auth(&officer).json(&json!({
        "crs": TM3_105_30, "reason": "đo đạc lại",
        "geometry": {"type": "Polygon", "coordinates": [[[x0, N0], [x0 + 20.0, N0], [x0 + 20.0, N0 + 31.0], [x0, N0 + 31.0], [x0, N0]]]}
    })).send().unwrap();
    assert_eq!(r.status(), 200);
    run("check older than the parcel's change", 409, &|| issue(&app, &approver, ok, holders_pair()));
    // A fresh check lets it through.
    sql(
        &app,
        &format!(
            "INSERT INTO geometry_checks (dossier_id, parcel_id, outcome, report) \
             SELECT {ok}, id, 'pass', '{{}}' FROM parcels WHERE national_id = '{parcel}'"
        ),
    );
    let (status, issued) = issue(&app, &approver, ok, holders_pair());
    assert_eq!(status, 201, "{issued}");
    assert_eq!(issued["content"]["parcel"]["version"], 2);
    assert_eq!(issued["content"]["parcel"]["area_m2"], 620.0);
    run("dossier already issued", 409, &|| issue(&app, &approver, ok, holders_pair()));

    let serial = issued["serial"].as_str().unwrap().to_string();
    run("revoke without a reason", 422, &|| {
        post(&app, &approver, &format!("/certificates/{serial}/revoke"), &json!({"reason": " "}))
    });
    let (status, revoked) =
        post(&app, &approver, &format!("/certificates/{serial}/revoke"), &json!({"reason": "cấp sai đối tượng"}));
    assert_eq!((status, revoked["status"].as_str()), (200, Some("revoked")));
    run("revoke twice", 409, &|| {
        post(&app, &approver, &format!("/certificates/{serial}/revoke"), &json!({"reason": "lần nữa"}))
    });
    run("transfer a revoked certificate", 409, &|| {
        post(
            &app,
            &approver,
            &format!("/certificates/{serial}/transfer"),
            &json!({"kind": "transfer", "holders": [{"kind": "person", "name": "X Y", "share": 1.0}]}),
        )
    });
    run("unknown serial", 404, &|| post(&app, &approver, "/certificates/AF99999999/revoke", &json!({"reason": "x"})));
    run("malformed serial", 400, &|| post(&app, &approver, "/certificates/af1/revoke", &json!({"reason": "x"})));
    let (_, verified) = app.get_json(&format!("/certificates/verify/{serial}"));
    assert_eq!((verified["status"].as_str(), verified["valid"].as_bool()), (Some("revoked"), Some(false)));
    assert_eq!(app.get_json("/certificates/verify/AF99999999").0, 404);
    assert_eq!(app.get_json("/certificates/verify/AF-1").0, 400);
    assert_eq!(
        app.get_json(&format!("/certificates/verify/{serial}?c=x")).0,
        400,
        "unknown query parameters are refused"
    );
}

#[test]
fn blank_stock_voided_blanks_are_never_issued_and_serials_never_reused() {
    let app = spawn();
    let admin = app.token("admin");
    let approver = app.token("approver92");
    register_blanks(&app, "ĐĐ", 1, 3);
    // Overlaps: with the range itself, and with the sample certificates' serials on record.
    for (range, what) in [((3, 5), "own range"), ((1, 1), "own first blank")] {
        let before = app.row_counts();
        let (status, body) = post(
            &app,
            &admin,
            "/certificate-blanks",
            &json!({"province": "92", "prefix": "ĐĐ", "first": range.0, "last": range.1}),
        );
        assert_eq!(status, 409, "{what}: {body}");
        assert_eq!(changes(&before, &app.row_counts()), BTreeMap::new());
    }
    let (status, body) =
        post(&app, &admin, "/certificate-blanks", &json!({"province": "92", "prefix": "ZZ", "first": 1, "last": 10}));
    assert_eq!(status, 409, "sample certificates' serials are on record: {body}");
    for (body, pointer) in [
        (json!({"province": "92", "prefix": "Zz", "first": 1, "last": 2}), "/prefix"),
        (json!({"province": "92", "prefix": "AB", "first": 5, "last": 1}), "/last"),
        (json!({"province": "92", "prefix": "AB", "first": 1, "last": 100_000_000}), "/last"),
        (json!({"province": "99", "prefix": "AB", "first": 1, "last": 2}), "/province"),
    ] {
        let (status, problem) = post(&app, &admin, "/certificate-blanks", &body);
        assert_eq!((status, problem["errors"][0]["pointer"].as_str()), (422, Some(pointer)), "{body}: {problem}");
    }
    assert_eq!(
        post(&app, &approver, "/certificate-blanks", &json!({"province": "92", "prefix": "AB", "first": 1, "last": 2}))
            .0,
        403
    );

    // A spoiled blank is recorded, never issued, and cannot be voided twice.
    let (status, voided) = post(&app, &approver, "/certificate-blanks/ĐĐ00000001/void", &json!({"reason": "in lệch"}));
    assert_eq!((status, voided["status"].as_str()), (200, Some("voided")), "{voided}");
    assert_eq!(post(&app, &admin, "/certificate-blanks/ĐĐ00000001/void", &json!({"reason": "x"})).0, 409);
    assert_eq!(post(&app, &admin, "/certificate-blanks/ĐĐ00000009/void", &json!({"reason": "x"})).0, 404);

    let parcel = new_parcel(&app, 1, 0.0);
    let d = dossier(&app, &parcel, FIRST_REGISTRATION, "approved", Some("pass"));
    let (status, first) = issue(&app, &approver, d, holders_pair());
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["serial"], "ĐĐ00000002", "the voided blank is skipped");
    assert_eq!(
        post(&app, &admin, "/certificate-blanks/ĐĐ00000002/void", &json!({"reason": "x"})).0,
        409,
        "an issued blank cannot be voided"
    );

    // Cấp lại (lost): a new serial over the same right; the old one is replaced.
    let (status, second) = post(&app, &approver, "/certificates/ĐĐ00000002/replace", &json!({"reason": "lost"}));
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["serial"], "ĐĐ00000003");
    assert_eq!(second["content"]["holders"], first["content"]["holders"]);
    assert_eq!(second["content"]["replaces"], json!({"serial": "ĐĐ00000002", "reason": "lost"}));
    assert_eq!(
        scalar(
            &app,
            "SELECT count(DISTINCT rrr_id) AS n FROM certificates WHERE serial IN ('ĐĐ00000002', 'ĐĐ00000003')"
        ),
        1
    );
    let (_, old) = app.get_json("/certificates/verify/ĐĐ00000002");
    assert_eq!((old["status"].as_str(), old["replaced_by"].as_str()), (Some("replaced"), Some("ĐĐ00000003")));

    // Stock exhausted: the next replacement is refused and writes nothing.
    let before = app.row_counts();
    let (status, body) = post(&app, &approver, "/certificates/ĐĐ00000003/replace", &json!({"reason": "damaged"}));
    assert_eq!(status, 409, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("no blank stock"));
    assert_eq!(changes(&before, &app.row_counts()), BTreeMap::new());
    // Every serial appears once, whatever happened to it.
    assert_eq!(scalar(&app, "SELECT count(*) - count(DISTINCT serial) AS n FROM certificates"), 0);
    assert_eq!(
        scalar(&app, "SELECT count(*) AS n FROM certificate_blanks WHERE serial LIKE 'ĐĐ%' AND status = 'voided'"),
        1
    );
    let (status, body) =
        post(&app, &admin, "/certificate-blanks", &json!({"province": "92", "prefix": "ĐĐ", "first": 2, "last": 4}));
    assert_eq!(status, 409, "issued serials cannot be registered again: {body}");
}

#[test]
fn a_transfer_procedure_dossier_supersedes_the_certificate_of_a_sample_parcel() {
    let app = spawn();
    register_blanks(&app, "AG", 1, 3);
    // A sample parcel of Phường Sóc Trăng with a valid certificate.
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        national_id: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        serial: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        qr_payload: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        key_id: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        content: Option<String>,
    }
    let row: Row = diesel::sql_query(
        "SELECT p.national_id, c.serial, c.qr_payload, c.key_id, c.content::text AS content FROM certificates c JOIN rrrs r ON r.id = c.rrr_id \
         JOIN parcels p ON p.id = r.parcel_id WHERE c.province_code = '92' AND c.status = 'valid' ORDER BY c.id LIMIT 1",
    )
    .get_result(&mut app.db.conn())
    .unwrap();
    // Sample certificates are signed too, with keys the public can fetch.
    let key = public_key(&app, row.key_id.as_deref().unwrap());
    let content: Value = serde_json::from_str(row.content.as_deref().unwrap()).unwrap();
    let canonical = canonical_json(&content);
    assert!(verify_canonical(row.qr_payload.as_deref().unwrap(), &key, canonical.as_bytes()).is_ok());

    let d = dossier(&app, &row.national_id, TRANSFER, "approved", Some("pass"));
    let (status, issued) = issue(
        &app,
        &app.token("approver92"),
        d,
        json!([{"kind": "household", "name": "Hộ ông Phạm Văn Tư", "share": 1.0}]),
    );
    assert_eq!(status, 201, "{issued}");
    assert_eq!(issued["content"]["replaces"], json!({"serial": row.serial, "reason": "transfer"}));
    let (_, old) = app.get_json(&format!("/certificates/verify/{}", row.serial));
    assert_eq!((old["status"].as_str(), old["replaced_by"].as_str()), (Some("replaced"), issued["serial"].as_str()));
    let (_, new) = app.get_json(&format!("/certificates/verify/{}", issued["serial"].as_str().unwrap()));
    assert_eq!(new["holders"][0]["name"], "Hộ ông Phạm V. T.");
}
