//! The QR code on a printed certificate scans: a certificate issued over HTTP, its printable
//! sheet rendered by headless Debian Chromium at 150 dpi (`tests/browser/qr.mjs`), the
//! screenshot decoded by `zbarimg` (Debian's zbar-tools, installed by scripts/prereqs.sh), and
//! the decoded text checked offline against the published key and the certificate's content,
//! then opened as a phone would. The screenshot lands in target/test-output/qr-page-1.png.

use std::process::Command;

use crate::common::{scalar, sql, TestApp};
use diesel::RunQueryDsl;
use domain::certificate::print::{qr_symbol, QR_QUIET_MM, QR_SIDE_MM};
use domain::certificate::qr::{self, Scheme};
use domain::certificate::{canonical_json, Content};
use serde_json::{json, Value};

/// Phường Tân An (Cần Thơ), in TM-3 105°30′, a free spot east of the Sóc Trăng sample.
const COMMUNE: &str = "31147";
const TM3_105_30: &str = "http://www.opengis.net/def/crs/EPSG/0/9209";
const E0: f64 = 556_000.0;
const N0: f64 = 1_062_700.0;
const FIRST_REGISTRATION: &str = "1.012753";

/// Issues a certificate from blank "ĐC" stock for a new parcel; returns the staff view.
fn issue_certificate(app: &TestApp) -> Value {
    let (admin, officer, approver) = (app.token("admin"), app.token("officer92"), app.token("approver92"));
    let (status, body) =
        app.post_json(&admin, "/certificate-blanks", &json!({"province": "92", "prefix": "ĐC", "first": 1, "last": 2}));
    assert_eq!(status, 201, "{body}");
    let geometry = json!({"type": "Polygon", "coordinates": [[[E0, N0], [E0 + 20.0, N0], [E0 + 20.0, N0 + 30.0], [E0, N0 + 30.0], [E0, N0]]]});
    let (status, parcel) = app.post_json(
        &officer,
        "/parcels",
        &json!({"commune": COMMUNE, "sheet": 9, "parcel": 1, "crs": TM3_105_30, "geometry": geometry,
                "land_uses": [{"code": "ODT"}], "address": "số 9 đường Quét Mã"}),
    );
    assert_eq!(status, 201, "{parcel}");
    let national_id = parcel["id"].as_str().unwrap();
    let (status, dossier) = app.post_json(
        &officer,
        "/dossiers",
        &json!({"procedure": FIRST_REGISTRATION, "channel": "counter", "commune": COMMUNE,
                "applicant": {"kind": "person", "name": "Người Nộp Hồ Sơ"}, "parcels": [national_id]}),
    );
    assert_eq!(status, 201, "{dossier}");
    let id = dossier["id"].as_i64().unwrap();
    for (action, token) in [("start_appraisal", &officer), ("approve", &approver)] {
        let (status, body) = app.post_json(token, &format!("/dossiers/{id}/events"), &json!({"action": action}));
        assert_eq!(status, 200, "{action}: {body}");
    }
    // A passing check of the parcel, recorded directly: the check itself is tested elsewhere.
    sql(
        app,
        &format!(
            "INSERT INTO geometry_checks (dossier_id, parcel_id, outcome, report) \
             SELECT {id}, id, 'pass', '{{}}' FROM parcels WHERE national_id = '{national_id}'"
        ),
    );
    let (status, issued) = app.post_json(
        &approver,
        &format!("/dossiers/{id}/certificate"),
        &json!({"holders": [
            {"kind": "person", "name": "Nguyễn Văn Quét", "id_number": "092090001234", "share": 0.5},
            {"kind": "person", "name": "Trần Thị Mã", "id_number": "092090005678", "share": 0.5}],
            "origin": "Nhà nước công nhận quyền sử dụng đất"}),
    );
    assert_eq!(status, 201, "{issued}");
    issued
}

fn public_key(app: &TestApp, key_id: &str) -> ed25519_dalek::VerifyingKey {
    let (status, keys) = app.get_json("/certificates/keys");
    assert_eq!(status, 200);
    assert!(keys["canonical_form"].as_str().unwrap().contains("diachinh.gcn.seal.2"), "{keys}");
    let entry = keys["keys"].as_array().unwrap().iter().find(|k| k["key_id"] == key_id).unwrap();
    let bytes: [u8; 32] = hex::decode(entry["public_key"].as_str().unwrap()).unwrap().try_into().unwrap();
    ed25519_dalek::VerifyingKey::from_bytes(&bytes).unwrap()
}

#[test]
fn the_printed_qr_code_scans_at_150_dpi_and_verifies_offline() {
    let app = TestApp::spawn_with_temp_keys();
    let issued = issue_certificate(&app);
    let serial = issued["serial"].as_str().unwrap().to_string();
    assert!(serial.starts_with('Đ'), "{serial}: a serial with Đ, percent-encoded in the code");
    let payload = issued["qr_payload"].as_str().unwrap().to_string();

    // The sheet in Chromium at 150 dpi, page 1 screenshotted.
    let repo = crate::common::repo_dir();
    let screenshot = repo.join("target/test-output/qr-page-1.png");
    let _ = std::fs::remove_file(&screenshot);
    let out = Command::new("node")
        .arg(repo.join("tests/browser/qr.mjs"))
        .arg(app.url(&format!("/certificates/{serial}/print")))
        .arg(app.token("officer92"))
        .arg(&screenshot)
        .current_dir(&repo)
        .output()
        .expect("node runs (scripts/prereqs.sh installs Debian's)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "qr.mjs failed:\n{stdout}\n{}\n(run `make prereqs`: Chromium and node_modules)",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap_or("{}")).unwrap();
    eprintln!("{summary:#}");
    let qr = &summary["qr"];
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    // The print CSS says 2 × 2 cm (20 mm = 75.59 CSS px) with a 4 mm white quiet zone, and the
    // browser lays it out so (to its layout unit, 1/64 px).
    let css_px = |v: &Value| v.as_str().and_then(|s| s.strip_suffix("px")).and_then(|s| s.parse::<f64>().ok());
    let side_px = QR_SIDE_MM / 25.4 * 96.0;
    for side in [&qr["css_width"], &qr["css_height"]] {
        assert!(css_px(side).is_some_and(|px| (px - side_px).abs() <= 1.0 / 64.0), "{side} is not {side_px} px: {qr}");
    }
    assert!((f(&qr["width_mm"]) - QR_SIDE_MM).abs() < 0.01 && (f(&qr["height_mm"]) - QR_SIDE_MM).abs() < 0.01, "{qr}");
    assert!((f(&qr["quiet_mm"]) - QR_QUIET_MM).abs() < 0.01, "{qr}");
    assert_eq!(qr["background"], "rgb(255, 255, 255)");
    // A4 at 150 dpi: 210 mm → 1240 px (1241 where the browser rounds the page's edge up).
    let width = summary["screenshot"]["width"].as_u64().unwrap_or(0);
    assert!((1240..=1241).contains(&width), "{summary}");

    // Decoded off the screenshot.
    let zbar = Command::new("zbarimg")
        .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(&screenshot)
        .output()
        .expect("zbarimg runs (Debian package zbar-tools, installed by scripts/prereqs.sh)");
    let decoded = String::from_utf8(zbar.stdout).unwrap().trim_end_matches('\n').to_string();
    assert!(zbar.status.success(), "zbarimg found no code: {}", String::from_utf8_lossy(&zbar.stderr));
    println!("zbarimg at 150 dpi: {decoded}");
    assert_eq!(decoded, payload);
    let symbol = qr_symbol(&decoded).unwrap();
    assert_eq!(
        (symbol.version, symbol.modules, symbol.ec),
        (f(&qr["version"]) as i16, qr["modules"].as_u64().unwrap() as usize, 'M')
    );
    assert!(symbol.version <= 10 && symbol.module_mm() >= 0.3, "version {}", symbol.version);
    println!(
        "{} bytes: QR version {} at {}, {} modules, {:.3} mm a module at {QR_SIDE_MM} mm, {:.2} px a module at 150 dpi",
        decoded.len(),
        symbol.version,
        symbol.ec,
        symbol.modules,
        symbol.module_mm(),
        f(&qr["module_px_at_dpi"])
    );

    // Offline: the published key and the content the office returns.
    let reference = match qr::parse(&decoded).unwrap() {
        qr::Payload::Reference(r) => r,
        other => panic!("not a reference: {other:?}"),
    };
    let key = public_key(&app, &reference.key_id);
    let staff: Value = app
        .client
        .get(app.url(&format!("/certificates/{serial}")))
        .bearer_auth(app.token("officer92"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let content: Content = serde_json::from_value(staff["content"].clone()).unwrap();
    let verified = qr::verify_offline(&decoded, &key, &content).expect("the scanned code verifies");
    assert_eq!((verified.scheme, verified.serial.as_str()), (Scheme::Reference, serial.as_str()));
    assert!(qr::verify_canonical(&decoded, &key, canonical_json(&staff["content"]).as_bytes()).is_ok());
    let mut changed = content.clone();
    changed.holders[0].share = 0.6;
    changed.holders[1].share = 0.4;
    assert!(qr::verify_offline(&decoded, &key, &changed).is_err(), "other content must not verify");

    // Online, as a phone opens it: the paper shows the current content; an older hash does not.
    let r = app.client.get(&decoded).send().unwrap();
    assert_eq!(r.status(), 200);
    let view: Value = r.json().unwrap();
    assert_eq!(view["serial"], serial.as_str());
    assert_eq!(
        (view["content_current"].as_bool(), view["content_hash"].as_str()),
        (Some(true), Some(reference.content_hash.as_str()))
    );
    let plain = app.get_json(&format!("/certificates/verify/{serial}")).1;
    assert_eq!(
        (plain["content_current"].clone(), plain["content_hash"].clone()),
        (Value::Null, view["content_hash"].clone())
    );
    let outdated = app.get_json(&format!("/certificates/verify/{serial}?h=AAAAAAAAAAAAAAAAAAAAAA")).1;
    assert_eq!(outdated["content_current"], false);
    for bad in ["h=AAAA", "h=AAAAAAAAAAAAAAAAAAAAAB", "k=92-XYZ", "s=abc", "c=e30"] {
        assert_eq!(app.get(&format!("/certificates/verify/{serial}?{bad}")).status(), 400, "{bad}");
    }
}

#[test]
fn sample_certificates_are_sealed_with_a_short_reference() {
    let app = TestApp::spawn();
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        qr_payload: String,
        #[diesel(sql_type = diesel::sql_types::Jsonb)]
        content: Value,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT qr_payload, content FROM certificates WHERE qr_payload IS NOT NULL ORDER BY id LIMIT 5",
    )
    .load(&mut app.db.conn())
    .unwrap();
    assert_eq!(rows.len(), 5);
    assert!(scalar(&app, "SELECT count(*) AS n FROM certificates WHERE qr_payload LIKE '%#c=%'") == 0);
    for row in rows {
        let Ok(qr::Payload::Reference(reference)) = qr::parse(&row.qr_payload) else { panic!("{}", row.qr_payload) };
        let key = public_key(&app, &reference.key_id);
        let content: Content = serde_json::from_value(row.content).unwrap();
        assert!(qr::verify_offline(&row.qr_payload, &key, &content).is_ok(), "{}", row.qr_payload);
        assert!(qr_symbol(&row.qr_payload).unwrap().version <= 10);
    }
}
