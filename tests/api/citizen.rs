//! The citizen's own channel (issue 13): online submission with documents, acceptance that
//! starts the clock, refusal that keeps nothing of the uploads, notices in the mail spool,
//! Vietnamese problems on public routes, and the citizen's pages in headless Chromium.

use std::path::PathBuf;
use std::process::Command;

use crate::common::{scalar, sql, table_changes, TestApp};
use diachinh::service::Settings;
use domain::dossier::submission::UploadLimits;
use serde_json::{json, Value};

/// 1.012756: toàn trình, two required documents.
const PROCEDURE: &str = "1.012756";
/// A file part: field, file name, bytes.
type FilePart<'a> = (&'a str, &'a str, &'a [u8]);

const BOUNDARY: &str = "diachinh-test-boundary-7MA4YWxkTrZu0gW";

fn pdf(size: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    bytes.resize(size.max(bytes.len()), b'0');
    bytes
}

/// A multipart/form-data body built by hand (the test client has no multipart support, and this
/// shows exactly what goes over the wire).
fn multipart(text: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in text {
        body.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
        );
    }
    for (name, file_name, bytes) in files {
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY}--\r\n").bytes());
    body
}

struct Citizen {
    app: TestApp,
    spool: PathBuf,
}

impl Citizen {
    fn spawn() -> Citizen {
        let dir = std::env::temp_dir().join(format!("diachinh-spool-{}-{}", std::process::id(), rand::random::<u32>()));
        let spool = dir.join("notices.mbox");
        let settings = Settings {
            mail_spool: spool.clone(),
            upload_limits: UploadLimits { file_bytes: 64 * 1024, total_bytes: 256 * 1024, files: 10 },
            ..Settings::default()
        };
        Citizen { app: TestApp::spawn_with(settings), spool }
    }

    fn spool(&self) -> String {
        std::fs::read_to_string(&self.spool).unwrap_or_default()
    }

    fn submit(&self, text: &[(&str, &str)], files: &[(&str, &str, &[u8])], lang: Option<&str>) -> (u16, Value) {
        let mut r = self
            .app
            .client
            .post(self.app.url("/submissions"))
            .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(multipart(text, files));
        if let Some(lang) = lang {
            r = r.header("accept-language", lang);
        }
        let r = r.send().unwrap();
        let status = r.status().as_u16();
        if status >= 400 {
            assert_eq!(r.headers()["content-type"], "application/problem+json");
        }
        (status, r.json().unwrap_or(Value::Null))
    }
}

impl Drop for Citizen {
    fn drop(&mut self) {
        if let Some(dir) = self.spool.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

const FORM: &[(&str, &str)] = &[
    ("procedure", PROCEDURE),
    ("commune", "31507"),
    ("sheet", "1"),
    ("parcel_no", "5"),
    ("applicant_kind", "organisation"),
    ("applicant_name", "Ủy ban nhân dân phường Tân An"),
    ("email", "vanthu@tanan.example.vn"),
    ("phone", "0292 3822 111"),
    ("return_method", "postal"),
    ("postal_address", "12 Lê Lợi, phường Tân An, thành phố Cần Thơ"),
];

/// Today in Vietnam.
fn today() -> chrono::NaiveDate {
    diachinh::service::dossiers::local_day(chrono::Utc::now())
}

#[test]
fn a_citizen_submits_online_the_officer_accepts_and_the_clock_starts_then_with_notices_in_the_spool() {
    let c = Citizen::spawn();
    let app = &c.app;
    let (application, decision) = (pdf(20_000), pdf(30_000));
    let (status, receipt) = c.submit(
        FORM,
        &[("document_1", "don-dang-ky.pdf", &application), ("document_2", "quyet-dinh-giao-dat.pdf", &decision)],
        None,
    );
    assert_eq!(status, 201, "{receipt}");
    let no = receipt["submission_no"].as_str().unwrap().to_string();
    let secret = receipt["secret"].as_str().unwrap().to_string();
    assert!(no.starts_with("TT.92."), "{receipt}");
    assert_eq!(secret.len(), 14, "{receipt}");
    assert_eq!(receipt["state"], "submitted");
    let docs = receipt["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0]["media_type"], "application/pdf");
    assert_eq!(docs[1]["sha256"], domain::dossier::submission::sha256_hex(&decision));
    assert_eq!(docs[0]["title"], "Đơn đăng ký (Mẫu 15)");
    // Only the secret's hash is kept; the files are in the database with their hashes.
    assert_eq!(
        scalar(app, &format!("SELECT count(*) AS n FROM online_submissions WHERE secret_sha256 = '{secret}'")),
        0
    );
    assert_eq!(scalar(app, "SELECT count(*) AS n FROM submission_files WHERE size_bytes IN (20000, 30000)"), 2);
    // The citizen hears the submission arrived.
    let spool = c.spool();
    assert!(spool.contains("X-Diachinh-Notice: submission_received") && spool.contains(&no), "{spool}");
    assert!(spool.contains("To: vanthu@tanan.example.vn"));
    assert_eq!(scalar(app, "SELECT count(*) AS n FROM notices WHERE sent_at IS NULL"), 0, "sent and marked");

    // Tracking needs the secret; a wrong one is a 404 in Vietnamese, the same as an unknown number.
    let (status, tracked) = app.get_json(&format!("/submissions/track/{no}?secret={}", secret.to_lowercase()));
    assert_eq!(status, 200, "{tracked}");
    assert_eq!(tracked["state_label"], "Đã nộp, chờ tiếp nhận");
    assert!(!tracked.to_string().contains("Tân An, thành phố"), "no personal data: {tracked}");
    let (status, wrong) = app.get_json(&format!("/submissions/track/{no}?secret=2222-2222-2222"));
    assert_eq!(status, 404);
    assert_eq!(wrong["title"], "Không tìm thấy");
    let (_, unknown) = app.get_json("/submissions/track/TT.92.261127.99999?secret=2222-2222-2222");
    assert_eq!(unknown["detail"], wrong["detail"]);

    // The submission waited ten days; the statutory clock still starts at acceptance.
    sql(app, "UPDATE online_submissions SET submitted_at = submitted_at - interval '10 days'");
    let officer = app.token("officer92");
    let (status, list) = app.get_json_auth(&officer, "/submissions?state=submitted");
    assert_eq!(status, 200, "{list}");
    let item = &list["items"][0];
    assert_eq!(item["applicant"]["email"], "vanthu@tanan.example.vn");
    let id = item["id"].as_i64().unwrap();
    assert_eq!(app.post_json(&app.token("officer56"), &format!("/submissions/{id}/accept"), &json!({})).0, 403);
    let before_accept = chrono::Utc::now();
    let (status, accepted) = app.post_json(&officer, &format!("/submissions/{id}/accept"), &json!({}));
    assert_eq!(status, 201, "{accepted}");
    let dossier = &accepted["dossier"];
    let received: chrono::DateTime<chrono::Utc> = dossier["received_at"].as_str().unwrap().parse().unwrap();
    assert!(received >= before_accept - chrono::Duration::seconds(1), "received at acceptance: {dossier}");
    let due: chrono::NaiveDate = dossier["due_on"].as_str().unwrap().parse().unwrap();
    assert!(due - today() >= chrono::Duration::days(17), "17 working days from acceptance, not submission: {due}");
    assert_eq!(dossier["channel"], "online");
    assert_eq!(dossier["completeness"]["complete"], true, "{dossier}");
    assert_eq!(dossier["documents"].as_array().unwrap().len(), 2);
    assert_eq!(dossier["return_address"], "12 Lê Lợi, phường Tân An, thành phố Cần Thơ");
    assert_eq!(dossier["parcels"].as_array().unwrap().len(), 1);
    assert_eq!(accepted["submission"]["state"], "accepted");
    let receipt_no = dossier["receipt_no"].as_str().unwrap().to_string();
    let spool = c.spool();
    assert!(spool.contains("X-Diachinh-Notice: submission_accepted"), "{spool}");
    assert!(spool.contains(&receipt_no) && spool.contains(dossier["tracking_code"].as_str().unwrap()), "{spool}");
    assert!(spool.contains(&due.format("%d/%m/%Y").to_string()), "the promised date: {spool}");
    // Decided once.
    assert_eq!(app.post_json(&officer, &format!("/submissions/{id}/accept"), &json!({})).0, 409);

    // The citizen follows the dossier with the same number and secret.
    let (_, tracked) = app.get_json(&format!("/submissions/track/{no}?secret={secret}"));
    assert_eq!(tracked["state"], "accepted");
    assert_eq!(tracked["dossier"]["receipt_no"], receipt_no.as_str());

    // Through to the result, sent by post: each step the citizen should hear about is in the spool.
    let approver = app.token("approver92");
    let dossier_id = dossier["id"].as_i64().unwrap();
    let step = |token: &str, body: Value| {
        let (status, v) = app.post_json(token, &format!("/dossiers/{dossier_id}/events"), &body);
        assert_eq!(status, 200, "{body}: {v}");
    };
    step(&officer, json!({"action": "request_supplement", "note": "Bổ sung bản sao quyết định có chứng thực."}));
    step(&officer, json!({"action": "receive_supplement"}));
    step(&officer, json!({"action": "start_appraisal"}));
    step(&approver, json!({"action": "approve"}));
    step(&officer, json!({"action": "mark_result_ready"}));
    step(&officer, json!({"action": "return_result", "method": "postal", "tracking_number": "EB123456789VN"}));
    let spool = c.spool();
    for kind in ["supplement_requested", "result_ready", "sent_by_post"] {
        assert!(spool.contains(&format!("X-Diachinh-Notice: {kind}")), "{kind}: {spool}");
    }
    assert!(spool.contains("Bổ sung bản sao quyết định có chứng thực.") && spool.contains("EB123456789VN"));
    assert_eq!(scalar(app, "SELECT count(*) AS n FROM notices WHERE sent_at IS NOT NULL"), 5);
    let (_, tracked) = app.get_json(&format!("/submissions/track/{no}?secret={secret}"));
    assert_eq!(tracked["dossier"]["return_tracking_number"], "EB123456789VN");
}

#[test]
fn a_wrong_type_an_oversized_file_and_a_missing_document_each_get_a_clear_4xx_and_nothing_is_stored() {
    let c = Citizen::spawn();
    let app = &c.app;
    let before = app.row_counts();
    let good = pdf(10_000);
    let program = b"MZ\x90\x00\x03 this is a Windows program named like a PDF".to_vec();
    let big = pdf(100 * 1024);
    // (label, files, the field named, its code, the Vietnamese text)
    let cases: Vec<(&str, Vec<FilePart>, &str, &str, &str)> = vec![
        (
            "wrong type",
            vec![("document_1", "don.pdf", &good), ("document_2", "quyet-dinh.pdf", &program)],
            "/document_2",
            "file_type",
            "Giấy tờ số 2: tệp «quyet-dinh.pdf» không phải PDF, JPEG hoặc PNG.",
        ),
        (
            "oversized",
            vec![("document_1", "don.pdf", &good), ("document_2", "quyet-dinh.pdf", &big)],
            "/document_2",
            "file_too_large",
            "vượt quá giới hạn",
        ),
        (
            "missing document",
            vec![("document_1", "don.pdf", &good)],
            "/document_2",
            "document_missing",
            "Thiếu giấy tờ bắt buộc (Giấy tờ số 2): Quyết định giao đất để quản lý.",
        ),
    ];
    for (label, files, pointer, code, vietnamese) in cases {
        let (status, problem) = c.submit(FORM, &files, None);
        assert_eq!(status, 422, "{label}: {problem}");
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{label}: {problem}");
        assert_eq!(problem["errors"][0]["detail"]["code"], code, "{label}: {problem}");
        assert_eq!(problem["title"], "Thông tin chưa hợp lệ", "{label}");
        assert!(problem["detail"].as_str().unwrap().contains(vietnamese), "{label}: {problem}");
        // English when asked, with the same field.
        let (_, english) = c.submit(FORM, &files, Some("en"));
        assert_eq!(english["title"], "Invalid request", "{label}");
        assert_eq!(english["errors"][0]["pointer"], pointer);
    }
    // Past the total limit the body is refused while it is read: 413.
    let chunk = pdf(60 * 1024);
    let many: Vec<(&str, &str, &[u8])> = (0..6).map(|_| ("document_1", "trang.pdf", chunk.as_slice())).collect();
    let (status, problem) = c.submit(FORM, &many, None);
    assert_eq!(status, 413, "{problem}");
    assert_eq!(problem["title"], "Dữ liệu gửi lên quá lớn");
    // Fields: a procedure not offered online, a postal return without address, an unknown field.
    let mut form: Vec<(&str, &str)> = FORM.iter().filter(|(k, _)| *k != "postal_address").copied().collect();
    form.push(("colour", "red"));
    let (status, problem) = c.submit(&form, &[("document_1", "a.pdf", &good), ("document_2", "b.pdf", &good)], None);
    assert_eq!(status, 422);
    let pointers: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
    assert_eq!(pointers, ["/colour", "/postal_address"], "{problem}");
    let offline: Vec<(&str, &str)> =
        FORM.iter().map(|&(k, v)| if k == "procedure" { (k, "1.012783") } else { (k, v) }).collect();
    let (status, problem) = c.submit(&offline, &[("document_1", "a.pdf", &good), ("document_2", "b.pdf", &good)], None);
    assert_eq!((status, problem["errors"][0]["detail"]["code"].as_str()), (422, Some("not_online")), "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("Bộ phận Một cửa"));
    // Not a multipart body at all.
    let r = app.client.post(app.url("/submissions")).json(&json!({"procedure": PROCEDURE})).send().unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(table_changes(&before, &app.row_counts()), Default::default(), "nothing stored");
    assert_eq!(c.spool(), "", "nobody was notified");
}

#[test]
fn a_refused_submission_tells_the_citizen_why_in_vietnamese_and_keeps_nothing_of_the_uploads_but_the_audit() {
    let c = Citizen::spawn();
    let app = &c.app;
    let (a, b) = (pdf(5_000), pdf(6_000));
    let (status, receipt) = c.submit(FORM, &[("document_1", "don.pdf", &a), ("document_2", "anh-mo.pdf", &b)], None);
    assert_eq!(status, 201, "{receipt}");
    let (no, secret) = (receipt["submission_no"].as_str().unwrap(), receipt["secret"].as_str().unwrap());
    let id = scalar(app, "SELECT id AS n FROM online_submissions");
    let officer = app.token("officer92");
    let path = format!("/submissions/{id}/refuse");
    let (status, bad) = app.post_json(&officer, &path, &json!({"ground": "ugly", "note": "x"}));
    assert_eq!((status, bad["errors"][0]["pointer"].as_str()), (422, Some("/ground")));
    let note = "Ảnh chụp quyết định giao đất bị mờ, không đọc được số và ngày.";
    let (status, refused) = app.post_json(&officer, &path, &json!({"ground": "illegible", "note": note}));
    assert_eq!(status, 200, "{refused}");
    assert_eq!(refused["files"], json!([]));
    assert_eq!(scalar(app, &format!("SELECT count(*) AS n FROM submission_files WHERE submission_id = {id}")), 0);
    // The audit entry keeps what was uploaded — names and hashes — and nothing else of it.
    let hashes = scalar(
        app,
        &format!(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'submission.refuse' AND entity_id = '{no}' \
               AND before::text LIKE '%{}%' AND before::text LIKE '%anh-mo.pdf%'",
            domain::dossier::submission::sha256_hex(&b)
        ),
    );
    assert_eq!(hashes, 1);
    let expected = format!("Tài liệu đính kèm không đọc được. {note}");
    let (_, tracked) = app.get_json(&format!("/submissions/track/{no}?secret={secret}"));
    assert_eq!(tracked["state_label"], "Từ chối tiếp nhận");
    assert_eq!(tracked["refusal"]["text"], expected.as_str(), "{tracked}");
    let spool = c.spool();
    assert!(spool.contains("X-Diachinh-Notice: submission_refused"), "{spool}");
    assert!(spool.contains(&format!("Lý do: {expected}")), "{spool}");
    assert_eq!(app.post_json(&officer, &path, &json!({"ground": "other", "note": "again"})).0, 409);
    assert_eq!(app.post_json(&officer, &format!("/submissions/{id}/accept"), &json!({})).0, 409);
    // Staff only.
    assert_eq!(app.get("/submissions").status(), 401);
    assert_eq!(app.get_json_auth(&app.token("planner92"), "/submissions").0, 403);
}

#[test]
fn public_problems_are_vietnamese_unless_english_is_asked_for_and_staff_read_english() {
    let app = TestApp::spawn();
    let r = app.get("/parcels/lookup?commune=31507&sheet=1");
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-language"], "vi");
    let body: Value = r.json().unwrap();
    assert_eq!(body["title"], "Yêu cầu không đúng định dạng", "{body}");
    // A problem without field errors has no `errors` member at all (not a null).
    let (status, missing) = app.get_json("/parcels/zzzzzzzzzzzz");
    assert_eq!(status, 404);
    assert_eq!(missing["title"], "Không tìm thấy");
    assert!(missing.get("errors").is_none(), "{missing}");
    let r = app
        .client
        .get(app.url("/dossiers/track/92.261127.0001?code=K7M9PQ"))
        .header("accept-language", "en")
        .send()
        .unwrap();
    assert_eq!(r.headers()["content-language"], "en");
    assert_eq!(r.json::<Value>().unwrap()["title"], "Not found");
    let officer = app.token("officer92");
    let (_, staff) = app.get_json_auth(&officer, "/dossiers/999999");
    assert_eq!(staff["title"], "Not found");
}

#[derive(diesel::QueryableByName)]
struct Serial {
    #[diesel(sql_type = diesel::sql_types::Text)]
    serial: String,
}

#[test]
fn the_citizen_pages_submit_track_verify_and_find_a_parcel_in_chromium_in_vietnamese() {
    use diesel::RunQueryDsl;
    let c = Citizen::spawn();
    let app = &c.app;
    let page = app.get("/citizen");
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
    let html = page.text().unwrap();
    assert!(html.contains("lang=\"vi\"") && !html.contains("http://") && !html.contains("https://"));
    assert_eq!(app.get("/citizen/../Cargo.toml").status(), 404);
    assert_eq!(app.get("/citizen?colour=red").status(), 400);
    let serial: Option<Serial> =
        diesel::sql_query("SELECT serial FROM certificates WHERE status = 'valid' ORDER BY id LIMIT 1")
            .get_result(&mut app.db.conn())
            .ok();
    let serial = serial.map_or_else(String::new, |s| s.serial);

    let repo = crate::common::repo_dir();
    let out_dir = repo.join("target/test-output");
    for name in ["citizen-submit.png", "citizen-track.png", "citizen-verify.png", "citizen-parcel.png"] {
        let _ = std::fs::remove_file(out_dir.join(name));
    }
    let out = Command::new("node")
        .arg(repo.join("tests/browser/citizen.mjs"))
        .arg(&app.base)
        .arg(&out_dir)
        .arg(&serial)
        .current_dir(&repo)
        .output()
        .expect("node runs (installed with the machine; scripts/prereqs.sh installs Debian's otherwise)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "citizen.mjs failed:\n{stdout}\n{stderr}\n(run `make prereqs`: Chromium and node_modules)"
    );
    let shown: Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("{}")).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    eprintln!("{shown:#}");
    assert_eq!(shown["errors"], json!([]), "console errors, page errors or foreign requests");
    assert!(shown["procedures"].as_u64().unwrap() >= 3, "{shown}");
    let no = shown["submission_no"].as_str().unwrap();
    assert!(no.starts_with("TT.92."), "{shown}");
    assert_eq!(scalar(app, &format!("SELECT count(*) AS n FROM online_submissions WHERE submission_no = '{no}'")), 1);
    assert_eq!(scalar(app, "SELECT count(*) AS n FROM submission_files"), 2, "the two PDFs chosen in the form");
    assert_eq!(shown["tracked_state"], "submitted", "{shown}");
    assert!(shown["bad_file_error"].as_str().unwrap().contains("không phải PDF, JPEG hoặc PNG"), "{shown}");
    assert!(shown["not_found_error"].as_str().unwrap().contains("Không tìm thấy"), "{shown}");
    if !serial.is_empty() {
        assert_eq!(shown["verified"], "true", "{shown}");
    }
    assert!(shown["parcel"].as_str().is_some_and(|p| !p.is_empty()), "{shown}");
    assert!(c.spool().contains(no), "the page's submission was notified");
    for name in ["citizen-submit.png", "citizen-track.png", "citizen-verify.png", "citizen-parcel.png"] {
        assert!(
            std::fs::metadata(out_dir.join(name)).map(|m| m.len() > 5_000).unwrap_or(false),
            "no screenshot {name}"
        );
    }
}
