//! One-stop dossiers over HTTP: receipt with a promised date, the state machine with a paused
//! clock, public tracking, apologies, refusals that change nothing, and the timeliness KPIs
//! checked against an independent SQL computation.

use crate::common::TestApp;
use diesel::RunQueryDsl;
use serde_json::{json, Value};

fn post(app: &TestApp, token: &str, path: &str, body: &Value) -> (u16, Value) {
    app.post_json(token, path, body)
}

fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let r = app.client.get(app.url(path)).bearer_auth(token).send().unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn new_dossier(parcel: &str) -> Value {
    json!({
        "procedure": "1.013831", "channel": "postal", "commune": "31507",
        "applicant": {"kind": "person", "name": "Trần Thị Bích", "id_number": "092188001234"},
        "parcels": [parcel],
        "documents": [{"title": "Đơn đăng ký biến động (Mẫu 18)"}, {"title": "Hợp đồng chuyển nhượng", "copies": 2}]
    })
}

fn a_parcel(app: &TestApp) -> String {
    let (_, f) = app.get_json("/parcels/lookup?commune=31507&sheet=1&parcel=5");
    f["id"].as_str().unwrap().to_string()
}

#[test]
fn receive_supplement_appraise_check_approve_issue_ready_and_return_by_post_with_tracking() {
    let app = TestApp::spawn_with_temp_keys();
    let officer = app.token("officer92");
    let approver = app.token("approver92");
    let admin = app.token("admin");
    assert_eq!(
        post(&app, &admin, "/certificate-blanks", &json!({"province": "92", "prefix": "AD", "first": 1, "last": 3})).0,
        201
    );
    // A newly surveyed parcel in Phường Tân An, registered for the first time with a certificate.
    let tm3 = "http://www.opengis.net/def/crs/EPSG/0/9209";
    let lot = json!({"type": "Polygon", "coordinates": [[[555000.0, 1061700.0], [555018.0, 1061700.0], [555018.0, 1061725.0], [555000.0, 1061725.0], [555000.0, 1061700.0]]]});
    let (status, parcel) = post(
        &app,
        &officer,
        "/parcels",
        &json!({"commune": "31147", "sheet": 4, "parcel": 1, "crs": tm3, "geometry": lot, "land_uses": [{"code": "ODT"}]}),
    );
    assert_eq!(status, 201, "{parcel}");
    let mut body = new_dossier(parcel["id"].as_str().unwrap());
    body["procedure"] = json!("1.012753");
    body["commune"] = json!("31147");
    let (status, d) = post(&app, &officer, "/dossiers", &body);
    assert_eq!(status, 201, "{d}");
    let id = d["id"].as_i64().unwrap();
    let receipt = d["receipt_no"].as_str().unwrap().to_string();
    assert!(receipt.starts_with("92."), "{receipt}");
    assert_eq!(d["state"], "received");
    assert_eq!(d["statutory_working_days"], 20);
    let due_at_receipt = d["due_on"].as_str().unwrap().to_string();
    // The tracking code of the slip: 6 characters without look-alikes.
    let code = d["tracking_code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 6, "{code}");
    assert!(code.bytes().all(|b| b"23456789ABCDEFGHJKMNPQRSTUVWXYZ".contains(&b)), "{code}");

    // Tracking needs the receipt number and the code; without it or with a wrong one the
    // answer is the 404 of an unknown receipt number (no oracle).
    let (status, unknown) = app.get_json("/dossiers/track/92.000000.0000?code=ABC234");
    assert_eq!(status, 404);
    let wrong = if code == "ABC234" { "ABC235" } else { "ABC234" };
    for path in [format!("/dossiers/track/{receipt}"), format!("/dossiers/track/{receipt}?code={wrong}")] {
        let (status, refused) = app.get_json(&path);
        assert_eq!(status, 404, "{path}");
        assert_eq!((&refused["title"], &refused["type"]), (&unknown["title"], &unknown["type"]), "{path}");
        assert!(!refused.to_string().contains("Trần"), "{refused}");
    }
    // Typed at a desk or on a phone: case, spaces and hyphens do not matter.
    let typed = format!("{}-{}", code[..3].to_lowercase(), &code[3..]);
    assert_eq!(app.get_json(&format!("/dossiers/track/{receipt}?code={typed}")).0, 200);
    let (_, tracked) = app.get_json(&format!("/dossiers/track/{receipt}?code={code}"));
    assert_eq!(tracked["state"], "received");
    assert_eq!(tracked["applicant"], "Trần T. B.", "masked");
    assert!(!tracked.to_string().contains("092188001234"));

    let event = |token: &str, body: Value| {
        let (status, after) = post(&app, token, &format!("/dossiers/{id}/events"), &body);
        assert_eq!(status, 200, "{body}: {after}");
        after
    };
    event(&officer, json!({"action": "request_supplement", "note": "thiếu bản sao CCCD"}));
    event(&officer, json!({"action": "receive_supplement"}));
    event(&officer, json!({"action": "start_appraisal"}));
    let (status, report) = post(
        &app,
        &officer,
        &format!("/dossiers/{id}/checks"),
        &json!({
        "crs": tm3, "geometry": lot, "declared_area_m2": 450.0, "map_scale": 500, "holders": [{"name": "Trần Thị Bích", "share": 1.0}]}),
    );
    assert_eq!(status, 201, "{report}");
    assert_ne!(report["outcome"], "fail", "{report}");
    // An officer may not approve; an approver may.
    assert_eq!(post(&app, &officer, &format!("/dossiers/{id}/events"), &json!({"action": "approve"})).0, 403);
    event(&approver, json!({"action": "approve"}));
    let (status, certificate) = post(
        &app,
        &approver,
        &format!("/dossiers/{id}/certificate"),
        &json!({
        "holders": [{"kind": "person", "name": "Trần Thị Bích", "id_number": "092188001234", "share": 1.0}]}),
    );
    assert_eq!(status, 201, "{certificate}");
    event(&officer, json!({"action": "mark_result_ready"}));
    let done = event(&officer, json!({"action": "return_result", "method": "postal"}));
    assert_eq!(done["state"], "returned");
    assert_eq!(done["return_method"], "postal");
    assert_eq!(done["pauses"].as_array().unwrap().len(), 1);
    // A same-day supplement pause covers one day; the due date never moves earlier.
    assert!(done["due_on"].as_str().unwrap() >= due_at_receipt.as_str());
    let (_, verified) = app.get_json(&format!("/certificates/verify/{}", certificate["serial"].as_str().unwrap()));
    assert_eq!(verified["status"], "valid");

    let (_, tracked) = app.get_json(&format!("/dossiers/track/{receipt}?code={code}"));
    let states: Vec<&str> =
        tracked["timeline"].as_array().unwrap().iter().map(|e| e["state"].as_str().unwrap()).collect();
    assert_eq!(
        states,
        ["received", "supplement_requested", "received", "appraising", "approved", "result_ready", "returned"]
    );
    assert!(tracked["timeline"][1].get("note").is_none(), "notes are internal");

    // The timeline is in the audit log too, with the check and the issuance.
    #[derive(diesel::QueryableByName)]
    struct A {
        #[diesel(sql_type = diesel::sql_types::Text)]
        action: String,
    }
    let actions: Vec<String> =
        diesel::sql_query("SELECT action FROM audit_log WHERE entity = 'dossier' AND entity_id = $1 ORDER BY id")
            .bind::<diesel::sql_types::Text, _>(&receipt)
            .load::<A>(&mut app.db.conn())
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect();
    assert_eq!(
        actions,
        [
            "dossier.receive",
            "dossier.request_supplement",
            "dossier.receive_supplement",
            "dossier.start_appraisal",
            "dossier.check",
            "dossier.approve",
            "dossier.mark_result_ready",
            "dossier.return_result"
        ]
    );
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let issued: N = diesel::sql_query("SELECT count(*) AS n FROM audit_log WHERE action LIKE 'certificate.%'")
        .get_result(&mut app.db.conn())
        .unwrap();
    assert!(issued.n >= 1, "the issuance is audited");

    // The printable slip carries the receipt number and the promised date.
    let slip = app.client.get(app.url(&format!("/dossiers/{id}/receipt"))).bearer_auth(&officer).send().unwrap();
    assert_eq!(slip.status(), 200);
    let html = slip.text().unwrap();
    assert!(html.contains(&receipt) && html.contains("Thời gian trả kết quả"));
    assert!(html.contains(&format!("mã tra cứu <b>{code}</b>")), "the slip shows the tracking code");
}

#[test]
fn invalid_transitions_unknown_procedures_and_bad_dates_change_nothing() {
    let app = TestApp::spawn();
    let officer = app.token("officer92");
    let parcel = a_parcel(&app);
    let (_, d) = post(&app, &officer, "/dossiers", &new_dossier(&parcel));
    let id = d["id"].as_i64().unwrap();
    let before = app.row_counts();

    let (status, problem) =
        post(&app, &officer, &format!("/dossiers/{id}/events"), &json!({"action": "mark_result_ready"}));
    assert_eq!(status, 409, "{problem}");
    let allowed = problem["errors"][0]["detail"]["allowed_actions"].as_array().unwrap();
    assert!(allowed.iter().any(|a| a == "start_appraisal"), "{problem}");
    assert_eq!(post(&app, &officer, &format!("/dossiers/{id}/events"), &json!({"action": "fly"})).0, 422);
    assert_eq!(
        post(&app, &officer, &format!("/dossiers/{id}/events"), &json!({"action": "return_result"})).0,
        422,
        "a method is required"
    );
    assert_eq!(post(&app, &officer, "/dossiers/999999/events", &json!({"action": "withdraw"})).0, 404);

    let mut unknown_procedure = new_dossier(&parcel);
    unknown_procedure["procedure"] = json!("9.999999");
    assert_eq!(post(&app, &officer, "/dossiers", &unknown_procedure).0, 422);
    let mut bad_date = new_dossier(&parcel);
    bad_date["received_at"] = json!("23/11/2026");
    assert_eq!(post(&app, &officer, "/dossiers", &bad_date).0, 400);
    let mut future = new_dossier(&parcel);
    future["received_at"] = json!("2099-01-01T00:00:00Z");
    assert_eq!(post(&app, &officer, "/dossiers", &future).0, 422);
    let mut bad_channel = new_dossier(&parcel);
    bad_channel["channel"] = json!("pigeon");
    assert_eq!(post(&app, &officer, "/dossiers", &bad_channel).0, 422);
    let mut unknown_parcel = new_dossier(&parcel);
    unknown_parcel["parcels"] = json!(["s00000000000"]);
    assert_eq!(post(&app, &officer, "/dossiers", &unknown_parcel).0, 422);
    // PostgreSQL cannot store a NUL character: a client error, never a 500 (schemathesis found it).
    let mut nul = new_dossier(&parcel);
    nul["procedure"] = json!("1.0\u{0}13831");
    let (status, problem) = post(&app, &officer, "/dossiers", &nul);
    assert_eq!(status, 422, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("NUL"), "{problem}");
    let mut nul_name = new_dossier(&parcel);
    nul_name["applicant"]["name"] = json!("Nguyễn\u{0}Văn A");
    assert_eq!(post(&app, &officer, "/dossiers", &nul_name).0, 422);
    assert_eq!(app.get("/stats/timeliness?from=2026-13-01").status(), 400);
    assert_eq!(app.get("/stats/timeliness?from=2026-06-01&to=2026-01-01").status(), 400);
    assert_eq!(app.get("/dossiers/track/<script>").status(), 400);
    assert_eq!(app.get("/dossiers/track/92.000000.0000").status(), 404);
    // Not late: no apology possible.
    assert_eq!(
        post(&app, &officer, &format!("/dossiers/{id}/apologies"), &json!({"reason": "x", "new_due_on": "2030-01-02"}))
            .0,
        409
    );
    assert_eq!(app.row_counts(), before);
}

#[test]
fn overdue_dossiers_get_an_apology_with_a_new_date() {
    let app = TestApp::spawn();
    let officer = app.token("officer92");
    let parcel = a_parcel(&app);
    // Received three weeks ago with a 5-working-day limit: overdue now.
    let mut body = new_dossier(&parcel);
    body["received_at"] = json!((chrono::Utc::now() - chrono::Duration::days(21)).to_rfc3339());
    let (status, d) = post(&app, &officer, "/dossiers", &body);
    assert_eq!(status, 201, "{d}");
    let id = d["id"].as_i64().unwrap();
    let (_, overdue) = get(&app, &officer, "/dossiers?overdue=true&limit=1000");
    assert!(overdue["items"].as_array().unwrap().iter().any(|i| i["id"] == id), "listed as overdue");
    // The new promised date must be a working day after today.
    let mut day = chrono::Utc::now().date_naive() + chrono::Duration::days(7);
    while matches!(day.format("%a").to_string().as_str(), "Sat" | "Sun") {
        day += chrono::Duration::days(1);
    }
    let (status, apology) = post(
        &app,
        &officer,
        &format!("/dossiers/{id}/apologies"),
        &json!({"reason": "chờ kết quả xác minh", "new_due_on": day}),
    );
    assert_eq!(status, 201, "{apology}");
    let (_, tracked) = app.get_json(&format!(
        "/dossiers/track/{}?code={}",
        d["receipt_no"].as_str().unwrap(),
        d["tracking_code"].as_str().unwrap()
    ));
    assert_eq!(tracked["late"], true);
    assert_eq!(tracked["apology_issued"], true);
    assert_eq!(tracked["promised_date"], json!(day));
    let letter = app
        .client
        .get(app.url(&format!("/dossiers/{id}/apologies/{}", apology["id"])))
        .bearer_auth(&officer)
        .send()
        .unwrap();
    assert_eq!(letter.status(), 200);
    assert!(letter.text().unwrap().contains("xin lỗi"));
}

#[derive(diesel::QueryableByName, Debug)]
struct Counts {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    received: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    completed: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    early: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    on_time: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    late: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    online: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    postal: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    apologies: i64,
}

/// The same KPIs computed independently in SQL from the raw tables.
fn independent(app: &TestApp, province: Option<&str>, from: &str, to: &str) -> Counts {
    diesel::sql_query(
        "WITH d AS (SELECT * FROM dossiers WHERE state <> 'withdrawn' AND ($1::text IS NULL OR province_code = $1) \
           AND (received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date BETWEEN $2::date AND $3::date), \
         done AS (SELECT *, (result_ready_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS ready FROM d WHERE result_ready_at IS NOT NULL) \
         SELECT (SELECT count(*) FROM d) AS received, (SELECT count(*) FROM done) AS completed, \
                (SELECT count(*) FROM done WHERE ready < due_on) AS early, (SELECT count(*) FROM done WHERE ready = due_on) AS on_time, \
                (SELECT count(*) FROM done WHERE ready > due_on) AS late, \
                (SELECT count(*) FROM d WHERE channel = 'online') AS online, (SELECT count(*) FROM d WHERE channel = 'postal') AS postal, \
                (SELECT count(*) FROM apology_letters a JOIN d ON d.id = a.dossier_id) AS apologies",
    )
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(province)
    .bind::<diesel::sql_types::Text, _>(from)
    .bind::<diesel::sql_types::Text, _>(to)
    .get_result(&mut app.db.conn())
    .unwrap()
}

#[test]
fn timeliness_kpis_equal_an_independent_sql_computation() {
    let app = TestApp::spawn();
    // The sample history is fixed (it ends on a set day), so this test means the same any day.
    let until = diachinh::service::seed::sample_dossiers_until().date_naive();
    let from = (until - chrono::Duration::days(400)).to_string();
    let to = until.to_string();
    for province in [None, Some("92"), Some("80")] {
        let path = match province {
            Some(p) => format!("/stats/timeliness?province={p}&from={from}&to={to}"),
            None => format!("/stats/timeliness?from={from}&to={to}"),
        };
        let (status, stats) = app.get_json(&path);
        assert_eq!(status, 200, "{stats}");
        let k = &stats["kpis"];
        let c = independent(&app, province, &from, &to);
        assert!(c.received > 50, "the sample year has dossiers: {c:?}");
        assert!(c.late > 0 && c.apologies > 0, "and some late ones with apologies: {c:?}");
        assert_eq!(k["received"], c.received, "{province:?}");
        assert_eq!(k["completed"], c.completed);
        assert_eq!(k["early"], c.early);
        assert_eq!(k["on_time"], c.on_time);
        assert_eq!(k["late"], c.late);
        assert_eq!(k["apologies_issued"], c.apologies);
        let pct = |n: i64, of: i64| (1000.0 * n as f64 / of as f64).round() / 10.0;
        assert_eq!(k["online_pct"].as_f64().unwrap(), pct(c.online, c.received));
        assert_eq!(k["postal_pct"].as_f64().unwrap(), pct(c.postal, c.received));
        assert_eq!(k["late_pct"].as_f64().unwrap(), pct(c.late, c.completed));
        assert_eq!(k["late_flag"].as_bool().unwrap(), pct(c.late, c.completed) >= 5.0);
        assert!(
            k["p90_processing_working_days"].as_f64().unwrap()
                >= k["avg_processing_working_days"].as_f64().unwrap() * 0.5
        );
    }
}
