//! One-stop dossiers: receipt with the documents compared and a promised date, the route
//! between the desk, the registration office, the commune and the tax office with a paused
//! clock, public tracking with the holder at each step, apologies before a dossier goes late,
//! refusals that change nothing, and the timeliness figures checked against an independent SQL
//! computation. Days that cannot pass during a test are simulated by calling the use cases
//! with a chosen "now" (as the sample seed does); what the public sees today is checked over
//! HTTP.

use crate::common::TestApp;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use diachinh::service::dossiers::{self as uc, ApologyInput, EventInput, ListQuery, StatsQuery};
use diachinh::service::{Actor, Settings};
use diesel::RunQueryDsl;
use domain::calendar::{due_date, Calendar, DueDateInput};
use serde_json::{json, Value};

fn post(app: &TestApp, token: &str, path: &str, body: &Value) -> (u16, Value) {
    app.post_json(token, path, body)
}

fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let r = app.client.get(app.url(path)).bearer_auth(token).send().unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

/// A complete transfer dossier: the contract's title differs from the catalogue's, so the desk
/// names the requirement it fulfils.
fn new_dossier(parcel: &str) -> Value {
    json!({
        "procedure": "1.013831", "channel": "postal", "commune": "31507",
        "applicant": {"kind": "person", "name": "Trần Thị Bích", "id_number": "092188001234"},
        "parcels": [parcel],
        "documents": [{"title": "Đơn đăng ký biến động (Mẫu 18)"},
                      {"title": "Hợp đồng chuyển nhượng", "copies": 2, "requirement": 2},
                      {"title": "Giấy chứng nhận đã cấp (bản gốc)"}]
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
    body["documents"] = json!([{"title": "Đơn đăng ký (Mẫu 15)"}, {"title": "Giấy tờ về quyền sử dụng đất"},
                               {"title": "Mảnh trích đo địa chính số 12/2026"}]);
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
    let done =
        event(&officer, json!({"action": "return_result", "method": "postal", "tracking_number": "eb 123 456 789 vn"}));
    assert_eq!(done["state"], "returned");
    assert_eq!(done["return_method"], "postal");
    assert_eq!(done["return_tracking_number"], "EB123456789VN");
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
    assert_eq!(tracked["return_tracking_number"], "EB123456789VN");
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
    // An apology must move the date later: one before the due date is refused.
    let (status, problem) =
        post(&app, &officer, &format!("/dossiers/{id}/apologies"), &json!({"reason": "x", "new_due_on": "2026-01-02"}));
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["pointer"], "/new_due_on");
    assert_eq!(
        post(&app, &officer, &format!("/dossiers/{id}/apologies"), &json!({"reason": " ", "new_due_on": "2030-01-02"}))
            .0,
        422
    );
    // Each field of an event belongs to one action; what an action needs must be there.
    for (body, pointer) in [
        (json!({"action": "start_appraisal", "purpose": "posting"}), "/purpose"),
        (json!({"action": "start_appraisal", "method": "postal"}), "/method"),
        (json!({"action": "start_appraisal", "paid_on": "2026-03-02"}), "/paid_on"),
        (json!({"action": "send_to_commune"}), "/action"),
        (json!({"action": "send_to_commune", "purpose": "party"}), "/action"),
        (json!({"action": "record_tax_notice"}), "/tax_notice"),
        (
            json!({"action": "record_tax_notice", "tax_notice": {"number": " ", "amount": -1, "issued_on": "2026-03-02"}}),
            "/tax_notice/number",
        ),
        (json!({"action": "record_payment"}), "/paid_on"),
        (json!({"action": "return_result", "method": "postal"}), "/tracking_number"),
        (json!({"action": "return_result", "method": "postal", "tracking_number": "<b>"}), "/tracking_number"),
        (
            json!({"action": "return_result", "method": "counter", "tracking_number": "EB123456789VN"}),
            "/tracking_number",
        ),
    ] {
        let (status, problem) = post(&app, &officer, &format!("/dossiers/{id}/events"), &body);
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{body}: {problem}");
    }
    // A handover the state does not allow is a conflict that lists what is allowed.
    let (status, problem) =
        post(&app, &officer, &format!("/dossiers/{id}/events"), &json!({"action": "send_to_tax_office"}));
    assert_eq!(status, 409, "{problem}");
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
    let (_, item) = get(&app, &officer, &format!("/dossiers/{id}"));
    assert_eq!(item["late_without_apology"], true, "late and no apology: flagged");
    assert!(item["overdue_working_days"].as_i64().unwrap() >= 5, "{item}");
    let (status, apology) = post(
        &app,
        &officer,
        &format!("/dossiers/{id}/apologies"),
        &json!({"reason": "chờ kết quả xác minh", "new_due_on": day}),
    );
    assert_eq!(status, 201, "{apology}");
    // Recorded, but after the deadline of one working day before the due date: still flagged.
    assert_eq!(apology["in_time"], false);
    let (_, item) = get(&app, &officer, &format!("/dossiers/{id}"));
    assert_eq!(item["late_without_apology"], true);
    // The date is re-set once only.
    let (status, again) =
        post(&app, &officer, &format!("/dossiers/{id}/apologies"), &json!({"reason": "lần hai", "new_due_on": day}));
    assert_eq!(status, 409, "{again}");
    assert!(again["detail"].as_str().unwrap().contains("only once"), "{again}");
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
        // Each yardstick counts its own way, and says on whose authority.
        let y = &stats["yardsticks"];
        assert_eq!(y["office_rate"]["pct"].as_f64().unwrap(), pct(c.early + c.on_time, c.completed));
        assert_eq!(y["office_rate"]["denominator"], c.completed);
        let mean = (100.0 * (2 * c.early + c.on_time) as f64 / c.completed as f64).round() / 100.0;
        assert_eq!(y["circular_01_score"]["mean"].as_f64().unwrap(), mean);
        assert_eq!(y["service_index_progress"]["denominator"], c.received);
        assert_eq!(y["late_flag"]["flagged"], k["late_flag"]);
        for id in ["office_rate", "service_index_progress", "circular_01_score", "late_flag", "apology"] {
            assert!(y[id]["source"].as_str().unwrap().contains('['), "{id} names a tagged source");
        }
        for group in ["by_month", "by_quarter", "by_year", "by_procedure", "by_commune", "by_channel"] {
            let sum: i64 = stats[group].as_array().unwrap().iter().map(|g| g["received"].as_i64().unwrap()).sum();
            assert_eq!(sum, c.received, "{group} adds up");
        }
        let online = stats["by_channel"].as_array().unwrap().iter().find(|g| g["key"] == "online").unwrap();
        assert_eq!(online["received"], c.online);
    }
}

// ---- The route, the paused clock and apologies, day by day ----

/// The shipped calendar, as seeded.
fn calendar() -> Calendar {
    Calendar::from_csv(include_str!("../../sample-data/calendar.csv")).unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// An instant given as Vietnam local time ("2026-03-02 09:00").
fn vn(s: &str) -> DateTime<Utc> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .unwrap()
        .and_local_timezone(uc::vietnam())
        .unwrap()
        .with_timezone(&Utc)
}

fn at(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    vn(&format!("{day} {hour:02}:00"))
}

/// The use cases' actor for one of the template's accounts.
fn actor(app: &TestApp, username: &str) -> Actor {
    let user = store::users::by_username(&mut app.db.conn(), username).unwrap().unwrap();
    Actor { user_id: user.id, username: user.username, role: user.role, province_code: user.province_code }
}

fn ev(action: &str) -> EventInput {
    EventInput {
        action: action.into(),
        method: None,
        tracking_number: None,
        purpose: None,
        tax_notice: None,
        paid_on: None,
        note: None,
    }
}

/// Phường Tân An (92): no sample dossiers, so its figures are the test's own.
const QUIET_COMMUNE: &str = "31147";

/// A complete dossier of `procedure` received in the quiet commune at `received`, by the use
/// case (the documents are the procedure's own list).
fn receive_at(app: &TestApp, procedure: &str, received: DateTime<Utc>) -> uc::DossierView {
    let mut conn = app.pool.get().unwrap();
    let catalogue = uc::procedures(&mut conn).unwrap();
    let p = catalogue.procedures.iter().find(|p| p.code == procedure).unwrap();
    let documents: Vec<uc::DocumentInput> = p
        .required_documents
        .as_array()
        .unwrap()
        .iter()
        .map(|t| uc::DocumentInput { title: t.as_str().unwrap().into(), copies: 1, requirement: None })
        .collect();
    let req = uc::NewDossier {
        procedure: procedure.into(),
        channel: "counter".into(),
        commune: QUIET_COMMUNE.into(),
        applicant: uc::ApplicantInput {
            kind: "person".into(),
            name: "Lê Thị Thu".into(),
            id_number: None,
            address: None,
        },
        parcels: vec![],
        documents: Some(documents),
        incomplete_note: None,
        remote: false,
        received_at: Some(received),
    };
    uc::receive(&mut conn, &Settings::default(), &actor(app, "officer92"), &req, received).unwrap()
}

fn step(
    app: &TestApp,
    who: &str,
    id: i64,
    input: EventInput,
    now: DateTime<Utc>,
) -> Result<uc::DossierView, diachinh::service::Error> {
    uc::act(&mut app.pool.get().unwrap(), &actor(app, who), id, &input, now)
}

fn overdue_ids(app: &TestApp, now: DateTime<Utc>) -> Vec<i64> {
    let q = ListQuery {
        province: None,
        commune: Some(QUIET_COMMUNE.into()),
        procedure: None,
        state: None,
        overdue: true,
        after: 0,
        limit: 1000,
    };
    uc::list(&mut app.pool.get().unwrap(), &actor(app, "officer92"), q, now)
        .unwrap()
        .items
        .iter()
        .map(|i| i.id)
        .collect()
}

fn stats(app: &TestApp, received_on: &str, now: DateTime<Utc>) -> uc::stats::TimelinessView {
    let q = StatsQuery {
        commune: Some(QUIET_COMMUNE.into()),
        from: Some(date(received_on)),
        to: Some(date(received_on)),
        ..StatsQuery::default()
    };
    uc::timeliness(&mut app.pool.get().unwrap(), &Settings::default(), &q, now).unwrap()
}

#[test]
fn a_dossier_paused_four_working_days_is_due_four_days_later_and_never_late_meanwhile() {
    let app = TestApp::spawn();
    let cal = calendar();
    // Cấp lại (1.012786): 10 working days. Received Monday 2/3/2026 09:00: due Monday 16/3.
    let d = receive_at(&app, "1.012786", vn("2026-03-02 09:00"));
    let id = d.id;
    assert_eq!((d.statutory_working_days, d.due_on), (10, date("2026-03-16")));
    step(&app, "officer92", id, ev("start_appraisal"), vn("2026-03-02 10:00")).unwrap();
    // The registration office finds a gap: the supplement is asked from appraisal, on Wednesday
    // 4/3, and the new due date shows at once as paused.
    let asked = step(&app, "officer92", id, ev("request_supplement"), vn("2026-03-04 09:00")).unwrap();
    assert_eq!((asked.clock.as_str(), asked.paused, asked.late), ("paused", true, false));
    assert_eq!(asked.holder.unit, "applicant");
    assert_eq!(asked.standing.as_deref(), Some("paused"));
    assert!(asked.due_on > date("2026-03-16"), "the day of the request no longer counts: {}", asked.due_on);
    // Every day of the pause: not overdue in the queue, not late in the view, the tracking page
    // or the statistics.
    for day in ["2026-03-04", "2026-03-05", "2026-03-06", "2026-03-07", "2026-03-08", "2026-03-09"] {
        let now = at(date(day), 8);
        assert!(!overdue_ids(&app, now).contains(&id), "{day}: listed as overdue");
        let view = uc::get(&mut app.pool.get().unwrap(), &actor(&app, "officer92"), id, now).unwrap();
        assert!(!view.late && view.paused && view.due_on > date(day), "{day}: {:?} {}", view.standing, view.due_on);
        let tracked = uc::track(&mut app.pool.get().unwrap(), &d.receipt_no, Some(&d.tracking_code), now).unwrap();
        assert!(!tracked.late && tracked.paused && tracked.clock == "paused", "{day}");
        let s = stats(&app, "2026-03-02", now);
        assert_eq!((s.kpis.received, s.kpis.overdue_open, s.kpis.paused_open, s.kpis.late), (1, 0, 1, 0), "{day}");
        assert_eq!(
            s.yardsticks.service_index_progress.pct,
            Some(100.0),
            "{day}: a paused dossier is still within time"
        );
    }
    // The supplement arrives on Monday 9/3: 4, 5, 6 and 9 March were paused, 4 working days;
    // the dossier is due 4 working days after 16/3, Friday 20/3.
    let back = step(&app, "officer92", id, ev("receive_supplement"), vn("2026-03-09 10:00")).unwrap();
    assert_eq!(back.due_on, date("2026-03-20"));
    assert_eq!(cal.working_days_between(date("2026-03-16"), back.due_on), 4);
    assert_eq!(back.pauses.len(), 1);
    assert_eq!((back.pauses[0].from, back.pauses[0].to), (date("2026-03-04"), Some(date("2026-03-09"))));
    assert_eq!(back.clock, "running");
    // Past the first due date it is still within time; overdue only after 20/3, by working days.
    for day in ["2026-03-16", "2026-03-17", "2026-03-20"] {
        assert!(!overdue_ids(&app, at(date(day), 12)).contains(&id), "{day}");
        assert_eq!(stats(&app, "2026-03-02", at(date(day), 12)).kpis.overdue_open, 0, "{day}");
    }
    // Tuesday 24/3: 2 working days overdue (23 and 24), not 4 calendar days.
    let now = at(date("2026-03-24"), 12);
    assert!(overdue_ids(&app, now).contains(&id));
    let view = uc::get(&mut app.pool.get().unwrap(), &actor(&app, "officer92"), id, now).unwrap();
    assert_eq!((view.late, view.overdue_working_days), (true, Some(2)));
    assert_eq!(stats(&app, "2026-03-02", now).kpis.overdue_open, 1);

    // A second supplement request for this procedure is refused: one is allowed.
    match step(&app, "officer92", id, ev("request_supplement"), now) {
        Err(diachinh::service::Error::Conflict { message, .. }) => {
            assert!(message.contains("allows 1 supplement"), "{message}")
        }
        other => panic!("expected a conflict: {other:?}"),
    }

    // A pause that outlasts the first due date: asked on Friday 13/3 (due 16/3) and still
    // awaited a week later — never overdue meanwhile.
    let other = receive_at(&app, "1.012786", vn("2026-03-02 09:30"));
    step(&app, "officer92", other.id, ev("request_supplement"), vn("2026-03-13 09:00")).unwrap();
    for day in ["2026-03-16", "2026-03-17", "2026-03-20", "2026-03-23"] {
        assert!(!overdue_ids(&app, at(date(day), 12)).contains(&other.id), "{day}");
        let view =
            uc::get(&mut app.pool.get().unwrap(), &actor(&app, "officer92"), other.id, at(date(day), 12)).unwrap();
        assert!(!view.late && view.paused, "{day}");
    }
}

#[test]
fn a_dossier_paused_today_is_not_overdue_over_http_and_the_statistics_agree() {
    let app = TestApp::spawn();
    let cal = calendar();
    let today = uc::local_day(Utc::now());
    let last_working = if cal.is_working_day(today) { today } else { cal.sub_working_days(today, 1) };
    // 10 working days, received 12 working days ago: without the pause it would be 2 days
    // overdue. The supplement was asked 3 working days ago and is still awaited.
    let received_on = cal.sub_working_days(last_working, 12);
    let asked_on = cal.sub_working_days(last_working, 3);
    let d = receive_at(&app, "1.012786", at(received_on, 9));
    step(&app, "officer92", d.id, ev("start_appraisal"), at(received_on, 10)).unwrap();
    step(&app, "officer92", d.id, ev("request_supplement"), at(asked_on, 9)).unwrap();
    let officer = app.token("officer92");
    let (_, overdue) = get(&app, &officer, "/dossiers?overdue=true&limit=1000");
    assert!(!overdue["items"].as_array().unwrap().iter().any(|i| i["id"] == d.id), "paused: not overdue");
    let (_, view) = get(&app, &officer, &format!("/dossiers/{}", d.id));
    assert_eq!(
        (&view["late"], &view["paused"], &view["clock"]),
        (&json!(false), &json!(true), &json!("paused")),
        "{view}"
    );
    let (_, tracked) = app.get_json(&format!("/dossiers/track/{}?code={}", d.receipt_no, d.tracking_code));
    assert_eq!((&tracked["late"], &tracked["clock"]), (&json!(false), &json!("paused")), "{tracked}");
    let (_, s) =
        app.get_json(&format!("/stats/timeliness?commune={QUIET_COMMUNE}&from={received_on}&to={received_on}"));
    assert_eq!((&s["kpis"]["overdue_open"], &s["kpis"]["paused_open"]), (&json!(0), &json!(1)), "{s}");
    // The supplement arrives now: every working day from the request to today is paused.
    let (status, back) =
        post(&app, &officer, &format!("/dossiers/{}/events", d.id), &json!({"action": "receive_supplement"}));
    assert_eq!(status, 200, "{back}");
    let expected = due_date(
        &cal,
        &DueDateInput {
            received_at: at(received_on, 9).with_timezone(&uc::vietnam()).naive_local(),
            cutoff: NaiveTime::from_hms_opt(16, 30, 0).unwrap(),
            working_days: 10,
            pauses: vec![(asked_on, today)],
        },
    );
    assert_eq!(back["due_on"], json!(expected));
    let paused_days = cal.working_days_between(cal.sub_working_days(asked_on, 1), today);
    assert_eq!(
        cal.working_days_between(cal.add_working_days(cal.next_working_day(received_on), 10), expected),
        paused_days
    );
    assert_eq!(back["late"], false, "{back}");
}

#[test]
fn an_apology_the_day_before_the_due_date_is_accepted_and_a_late_dossier_without_one_is_flagged() {
    let app = TestApp::spawn();
    let officer = actor(&app, "officer92");
    // Three transfers (5 working days) received Monday 2/3/2026: due Monday 9/3.
    let a = receive_at(&app, "1.013831", vn("2026-03-02 09:00"));
    let b = receive_at(&app, "1.013831", vn("2026-03-02 09:10"));
    let c = receive_at(&app, "1.013831", vn("2026-03-02 09:20"));
    assert_eq!(a.due_on, date("2026-03-09"));
    assert_eq!(a.apology_deadline, date("2026-03-06"), "one working day before Monday is the Friday");
    let apologise = |id: i64, now: DateTime<Utc>, new_due: &str| {
        let input = ApologyInput {
            reason: "Chờ cơ quan thuế xác định nghĩa vụ tài chính".into(),
            new_due_on: date(new_due),
        };
        uc::apologise(&mut app.pool.get().unwrap(), &officer, id, &input, now)
    };
    // The desk is told on Friday 6/3 that A's apology is due today; A gets it while still on time.
    let queue = uc::queue(
        &mut app.pool.get().unwrap(),
        &uc::QueueQuery { commune: Some(QUIET_COMMUNE.into()), ..Default::default() },
        vn("2026-03-06 08:00"),
    )
    .unwrap();
    assert_eq!(queue.apology_due_today.len(), 3, "all three are due Monday");
    let view = uc::get(&mut app.pool.get().unwrap(), &officer, a.id, vn("2026-03-06 08:00")).unwrap();
    assert!(view.apology_due_today && !view.late);
    let letter = apologise(a.id, vn("2026-03-06 10:00"), "2026-03-12").unwrap();
    assert!(letter.in_time);
    assert_eq!((letter.previous_due_on, letter.deadline), (date("2026-03-09"), date("2026-03-06")));
    // Once only.
    assert!(matches!(
        apologise(a.id, vn("2026-03-06 11:00"), "2026-03-13"),
        Err(diachinh::service::Error::Conflict { .. })
    ));
    // C's apology comes on the due date itself: recorded, not in time.
    assert!(!apologise(c.id, vn("2026-03-09 10:00"), "2026-03-12").unwrap().in_time);
    // B gets none. Tuesday 10/3: all three are overdue; only A is not flagged.
    let now = vn("2026-03-10 10:00");
    let q = ListQuery {
        province: None,
        commune: Some(QUIET_COMMUNE.into()),
        procedure: None,
        state: None,
        overdue: true,
        after: 0,
        limit: 100,
    };
    let items = uc::list(&mut app.pool.get().unwrap(), &officer, q, now).unwrap().items;
    let flag = |id: i64| items.iter().find(|i| i.id == id).map(|i| (i.overdue_working_days, i.late_without_apology));
    assert_eq!(flag(a.id), Some((Some(1), false)));
    assert_eq!(flag(b.id), Some((Some(1), true)));
    assert_eq!(flag(c.id), Some((Some(1), true)));
    let queue = uc::queue(
        &mut app.pool.get().unwrap(),
        &uc::QueueQuery { commune: Some(QUIET_COMMUNE.into()), ..Default::default() },
        now,
    )
    .unwrap();
    let flagged: Vec<(&str, bool)> =
        queue.overdue.iter().map(|i| (i.receipt_no.as_str(), i.late_without_apology)).collect();
    assert!(
        flagged.contains(&(b.receipt_no.as_str(), true)) && flagged.contains(&(a.receipt_no.as_str(), false)),
        "{flagged:?}"
    );
    // A is resolved late on 11/3: late with its apology in time; the statistics count so.
    step(&app, "officer92", a.id, ev("start_appraisal"), vn("2026-03-10 11:00")).unwrap();
    step(&app, "approver92", a.id, ev("approve"), vn("2026-03-11 09:00")).unwrap();
    step(&app, "officer92", a.id, ev("mark_result_ready"), vn("2026-03-11 10:00")).unwrap();
    let s = stats(&app, "2026-03-02", vn("2026-03-11 12:00"));
    assert_eq!((s.kpis.late, s.kpis.overdue_open), (1, 2));
    assert_eq!((s.kpis.late_with_apology, s.kpis.late_without_apology), (1, 2));
    assert_eq!(
        (s.yardsticks.apology.late, s.yardsticks.apology.without_apology, s.yardsticks.apology.flagged),
        (3, 2, true)
    );
    assert_eq!(s.yardsticks.circular_01_score.mean, Some(0.0), "late scores 0");
    // After the result, no apology is possible any more.
    assert!(matches!(
        apologise(a.id, vn("2026-03-11 12:00"), "2026-03-13"),
        Err(diachinh::service::Error::Conflict { .. })
    ));

    // Over HTTP, today: an apology for a dossier still on time is accepted and in time.
    let token = app.token("officer92");
    let (status, d) = post(&app, &token, "/dossiers", &new_dossier(&a_parcel(&app)));
    assert_eq!(status, 201, "{d}");
    let new_due = calendar().add_working_days(date(d["due_on"].as_str().unwrap()), 2);
    let (status, letter) = post(
        &app,
        &token,
        &format!("/dossiers/{}/apologies", d["id"]),
        &json!({"reason": "Chờ xác minh", "new_due_on": new_due}),
    );
    assert_eq!(status, 201, "{letter}");
    assert_eq!(letter["in_time"], true);
    let (_, tracked) = app.get_json(&format!(
        "/dossiers/track/{}?code={}",
        d["receipt_no"].as_str().unwrap(),
        d["tracking_code"].as_str().unwrap()
    ));
    assert_eq!((&tracked["promised_date"], &tracked["late"]), (&json!(new_due), &json!(false)));
}

#[test]
fn a_transfer_goes_through_the_tax_office_and_back_by_post_and_tracking_shows_who_holds_it() {
    let app = TestApp::spawn();
    let cal = calendar();
    let officer = app.token("officer92");
    let approver = app.token("approver92");
    let (status, d) = post(&app, &officer, "/dossiers", &new_dossier(&a_parcel(&app)));
    assert_eq!(status, 201, "{d}");
    let (id, receipt, code) = (
        d["id"].as_i64().unwrap(),
        d["receipt_no"].as_str().unwrap().to_string(),
        d["tracking_code"].as_str().unwrap().to_string(),
    );
    assert_eq!(d["completeness"], json!({"checked": true, "complete": true, "missing": [], "officer_note": null}));
    let received_at: DateTime<Utc> = d["received_at"].as_str().unwrap().parse().unwrap();
    let tracking = || app.get_json(&format!("/dossiers/track/{receipt}?code={code}")).1;
    assert_eq!(tracking()["holder"]["unit"], "one_stop");
    let today = uc::local_day(Utc::now());
    // (who, event, state after, holder after)
    let route = [
        (&officer, json!({"action": "start_appraisal"}), "appraising", "registration_office"),
        (
            &officer,
            json!({"action": "send_to_tax_office", "note": "phiếu chuyển thông tin địa chính"}),
            "at_tax_office",
            "tax_office",
        ),
        (
            &officer,
            json!({"action": "record_tax_notice", "tax_notice": {"number": "TB-2026/1234", "amount": 25_000_000, "issued_on": today}}),
            "awaiting_payment",
            "applicant",
        ),
        (&officer, json!({"action": "record_payment", "paid_on": today}), "appraising", "registration_office"),
        (&approver, json!({"action": "approve"}), "approved", "registration_office"),
        (&officer, json!({"action": "mark_result_ready"}), "result_ready", "one_stop"),
        (
            &officer,
            json!({"action": "return_result", "method": "postal", "tracking_number": "EB123456789VN"}),
            "returned",
            "applicant",
        ),
    ];
    for (who, body, state, holder) in route {
        if state == "awaiting_payment" {
            // A notice dated before the dossier reached the tax office is refused.
            let mut early = body.clone();
            early["tax_notice"]["issued_on"] = json!(today - chrono::Duration::days(30));
            let (status, problem) = post(&app, who, &format!("/dossiers/{id}/events"), &early);
            assert_eq!(status, 422, "{problem}");
            assert_eq!(problem["errors"][0]["pointer"], "/tax_notice/issued_on");
        }
        let (status, after) = post(&app, who, &format!("/dossiers/{id}/events"), &body);
        assert_eq!(status, 200, "{body}: {after}");
        assert_eq!((after["state"].as_str(), after["holder"]["unit"].as_str()), (Some(state), Some(holder)), "{body}");
        let t = tracking();
        assert_eq!(
            (t["state"].as_str(), t["holder"]["unit"].as_str()),
            (Some(state), Some(holder)),
            "tracking after {body}"
        );
        if state == "awaiting_payment" {
            assert_eq!((&t["clock"], &t["paused"], &t["late"]), (&json!("paused"), &json!(true), &json!(false)), "{t}");
        }
    }
    // The payment pause (notice and payment today) is not counted: the due date moved past it.
    let expected = due_date(
        &cal,
        &DueDateInput {
            received_at: received_at.with_timezone(&uc::vietnam()).naive_local(),
            cutoff: NaiveTime::from_hms_opt(16, 30, 0).unwrap(),
            working_days: 5,
            pauses: vec![(today, today)],
        },
    );
    let t = tracking();
    assert_eq!(t["due_on"], json!(expected));
    assert_eq!(t["return_tracking_number"], "EB123456789VN");
    assert_eq!(t["clock"], "stopped");
    let steps: Vec<(&str, &str)> = t["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["state"].as_str().unwrap(), s["holder"]["unit"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("received", "one_stop"),
            ("appraising", "registration_office"),
            ("at_tax_office", "tax_office"),
            ("awaiting_payment", "applicant"),
            ("appraising", "registration_office"),
            ("approved", "registration_office"),
            ("result_ready", "one_stop"),
            ("returned", "applicant"),
        ]
    );
    // Nobody's name: no officer, no approver, no tax figures, the applicant only masked.
    let text = t.to_string();
    for secret in
        ["officer92", "approver92", "Trần Thị Bích", "092188001234", "25000000", "TB-2026/1234", "phiếu chuyển"]
    {
        assert!(!text.contains(secret), "the public timeline shows {secret}: {text}");
    }
    assert_eq!(t["applicant"], "Trần T. B.");
    // Staff see the notice, the payment and who did what.
    let (_, view) = get(&app, &officer, &format!("/dossiers/{id}"));
    assert_eq!(
        view["obligations"],
        json!([{"notice_no": "TB-2026/1234", "amount": 25_000_000, "notice_on": today, "paid_on": today}])
    );
    assert_eq!(view["pauses"], json!([{"reason": "financial_obligation", "from": today, "to": today}]));
    let holders: Vec<&str> =
        view["events"].as_array().unwrap().iter().map(|e| e["holder"]["unit"].as_str().unwrap()).collect();
    assert_eq!(holders, steps.iter().map(|s| s.1).collect::<Vec<_>>());
    assert_eq!(view["events"][4]["actor"], "officer92");
    // Every step is audited with the holder it reached; the refused notice left no trace.
    #[derive(diesel::QueryableByName)]
    struct A {
        #[diesel(sql_type = diesel::sql_types::Text)]
        action: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        holder: Option<String>,
    }
    let audited: Vec<(String, Option<String>)> = diesel::sql_query(
        "SELECT action, after->>'holder' AS holder FROM audit_log WHERE entity = 'dossier' AND entity_id = $1 ORDER BY id",
    )
    .bind::<diesel::sql_types::Text, _>(&receipt)
    .load::<A>(&mut app.db.conn())
    .unwrap()
    .into_iter()
    .map(|a| (a.action, a.holder))
    .collect();
    let actions: Vec<&str> = audited.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(
        actions,
        [
            "dossier.receive",
            "dossier.start_appraisal",
            "dossier.send_to_tax_office",
            "dossier.record_tax_notice",
            "dossier.record_payment",
            "dossier.approve",
            "dossier.mark_result_ready",
            "dossier.return_result",
        ]
    );
    assert_eq!(audited[2].1.as_deref(), Some("tax_office"));
}

#[test]
fn incomplete_dossiers_are_refused_with_the_missing_documents_unless_an_officer_accepts_them() {
    let app = TestApp::spawn();
    let officer = app.token("officer92");
    let parcel = a_parcel(&app);
    let before = app.row_counts();
    let mut body = new_dossier(&parcel);
    body["documents"] = json!([{"title": "Đơn đăng ký biến động (Mẫu 18)"}, {"title": "Hợp đồng chuyển nhượng"}]);
    let (status, problem) = post(&app, &officer, "/dossiers", &body);
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["pointer"], "/documents");
    assert_eq!(
        problem["errors"][0]["detail"]["missing"],
        json!(["Hợp đồng hoặc văn bản chuyển quyền", "Giấy chứng nhận đã cấp"])
    );
    // A requirement the procedure does not have, an empty note, a note without a list.
    body["documents"][1]["requirement"] = json!(7);
    assert_eq!(post(&app, &officer, "/dossiers", &body).1["errors"][0]["pointer"], "/documents/1/requirement");
    let mut empty_note = new_dossier(&parcel);
    empty_note["incomplete_note"] = json!("  ");
    assert_eq!(post(&app, &officer, "/dossiers", &empty_note).0, 422);
    let mut no_list = new_dossier(&parcel);
    no_list.as_object_mut().unwrap().remove("documents");
    no_list["incomplete_note"] = json!("thiếu hợp đồng");
    assert_eq!(post(&app, &officer, "/dossiers", &no_list).0, 422);
    assert_eq!(app.row_counts(), before, "refusals write nothing");
    // Accepted with the officer's note: the missing items are kept and shown.
    body["documents"][1]["requirement"] = json!(null);
    body["incomplete_note"] = json!("Người nộp bổ sung Giấy chứng nhận trong ngày (đã ghi phiếu hướng dẫn)");
    let (status, d) = post(&app, &officer, "/dossiers", &body);
    assert_eq!(status, 201, "{d}");
    assert_eq!(d["completeness"]["complete"], false);
    assert_eq!(d["completeness"]["missing"], json!(["Hợp đồng hoặc văn bản chuyển quyền", "Giấy chứng nhận đã cấp"]));
    assert!(d["completeness"]["officer_note"].as_str().unwrap().starts_with("Người nộp"));
    // Without a list (older clients), the dossier is received unchecked.
    let mut unlisted = new_dossier(&parcel);
    unlisted.as_object_mut().unwrap().remove("documents");
    let (status, d) = post(&app, &officer, "/dossiers", &unlisted);
    assert_eq!(status, 201, "{d}");
    assert_eq!(d["completeness"]["checked"], false);
}

#[test]
fn cutoffs_pause_rules_and_commune_periods_are_the_procedures() {
    let app = TestApp::spawn();
    let officer = app.token("officer92");
    let (_, catalogue) = app.get_json("/procedures");
    let rules =
        |code: &str| catalogue["procedures"].as_array().unwrap().iter().find(|p| p["code"] == code).unwrap().clone();
    assert_eq!(rules("1.012789")["cutoff"], "15:00");
    assert_eq!(rules("9.000001")["cutoff"], "15:00");
    assert_eq!(rules("1.013831")["cutoff"], Value::Null);
    assert_eq!(rules("1.012786")["posting_days"], 15);
    assert_eq!(rules("1.012786")["pause_reasons"], json!(["supplement", "financial_obligation", "posting"]));
    // A land-data request received after 15:00 is due the next working day; before, the same day.
    let data_request = |received: &str| {
        let body = json!({"procedure": "1.012789", "channel": "online", "commune": "31507",
            "applicant": {"kind": "organisation", "name": "Công ty Thử nghiệm"},
            "documents": [{"title": "Phiếu yêu cầu cung cấp thông tin dữ liệu (Mẫu 14)"}],
            "received_at": vn(received).to_rfc3339()});
        let (status, d) = post(&app, &officer, "/dossiers", &body);
        assert_eq!(status, 201, "{d}");
        (d["due_on"].as_str().unwrap().to_string(), d["cutoff"].as_str().unwrap().to_string())
    };
    assert_eq!(data_request("2026-03-02 14:50"), ("2026-03-02".to_string(), "15:00".to_string()));
    assert_eq!(data_request("2026-03-02 15:10").0, "2026-03-03");
    assert_eq!(data_request("2026-03-06 15:30").0, "2026-03-09", "Friday afternoon: Monday");

    // The lost-certificate procedure requires a 15-day posting at the commune, not counted.
    let d = receive_at(&app, "1.012786", vn("2026-03-02 09:00"));
    step(&app, "officer92", d.id, ev("start_appraisal"), vn("2026-03-02 10:00")).unwrap();
    let refused = step(&app, "approver92", d.id, ev("approve"), vn("2026-03-03 09:00")).unwrap_err();
    assert!(format!("{refused:?}").contains("Niêm yết công khai"), "{refused:?}");
    let posting = EventInput { purpose: Some("posting".into()), ..ev("send_to_commune") };
    let posted = step(&app, "officer92", d.id, posting, vn("2026-03-03 09:00")).unwrap();
    assert_eq!(posted.holder.unit, "commune");
    assert_eq!(posted.events.last().unwrap().step_due_on, Some(date("2026-03-18")), "up through 17/3, down from 18/3");
    // The 11 working days of 3–17 March are paused: due 16/3 + 11 working days = 31/3.
    assert_eq!(posted.due_on, date("2026-03-31"));
    assert!(posted.paused);
    let early = step(&app, "officer92", d.id, ev("return_to_registration_office"), vn("2026-03-17 09:00")).unwrap_err();
    assert!(format!("{early:?}").contains("stays up until 2026-03-18"), "{early:?}");
    let back = step(&app, "officer92", d.id, ev("return_to_registration_office"), vn("2026-03-18 09:00")).unwrap();
    assert_eq!(
        (back.holder.unit.as_str(), back.due_on, back.paused),
        ("registration_office", date("2026-03-31"), false)
    );
    step(&app, "approver92", d.id, ev("approve"), vn("2026-03-19 09:00")).unwrap();

    // A procedure that requires a site verification (an admin sets the rule as data).
    let admin = app.token("admin");
    let r = app.client.put(app.url("/procedures/1.999001")).bearer_auth(&admin)
        .json(&json!({"name": "Thủ tục thử xác minh thực địa", "working_days": 7, "online_level": "none",
                      "site_verification_days": 3, "cutoff": "11:00", "max_supplements": 2, "pause_reasons": ["supplement"]}))
        .send().unwrap();
    assert_eq!(r.status(), 200);
    let p: Value = r.json().unwrap();
    assert_eq!(
        (&p["cutoff"], &p["max_supplements"], &p["pause_reasons"]),
        (&json!("11:00"), &json!(2), &json!(["supplement"]))
    );
    for (body, pointer) in [
        (json!({"name": "x", "working_days": 1, "online_level": "none", "cutoff": "25:00"}), "/cutoff"),
        (
            json!({"name": "x", "working_days": 1, "online_level": "none", "pause_reasons": ["holiday"]}),
            "/pause_reasons/0",
        ),
        (json!({"name": "x", "working_days": 1, "online_level": "none", "posting_days": -1}), "/posting_days"),
    ] {
        let r = app.client.put(app.url("/procedures/1.999002")).bearer_auth(&admin).json(&body).send().unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().unwrap()["errors"][0]["pointer"], pointer);
    }
    let d = receive_at(&app, "1.999001", vn("2026-03-02 11:30"));
    assert_eq!(d.cutoff, "11:00");
    assert_eq!(d.due_on, date("2026-03-12"), "after 11:00 day 0 is 3/3; 7 working days later");
    step(&app, "officer92", d.id, ev("start_appraisal"), vn("2026-03-03 09:00")).unwrap();
    assert!(step(&app, "approver92", d.id, ev("approve"), vn("2026-03-03 10:00")).is_err(), "site verification first");
    let site = EventInput { purpose: Some("site_verification".into()), ..ev("send_to_commune") };
    let sent = step(&app, "officer92", d.id, site, vn("2026-03-03 11:00")).unwrap();
    assert_eq!(sent.events.last().unwrap().step_due_on, Some(date("2026-03-06")), "the commune's 3 working days");
    assert!(!sent.paused, "a site verification is counted");
    // The commune asks for a supplement through the office; the procedure allows two.
    step(&app, "officer92", d.id, ev("request_supplement"), vn("2026-03-04 09:00")).unwrap();
    step(&app, "officer92", d.id, ev("receive_supplement"), vn("2026-03-05 09:00")).unwrap();
    step(&app, "officer92", d.id, ev("start_appraisal"), vn("2026-03-05 10:00")).unwrap();
    let site = EventInput { purpose: Some("site_verification".into()), ..ev("send_to_commune") };
    step(&app, "officer92", d.id, site, vn("2026-03-05 11:00")).unwrap();
    step(&app, "officer92", d.id, ev("return_to_registration_office"), vn("2026-03-06 09:00")).unwrap();
    let approved = step(&app, "approver92", d.id, ev("approve"), vn("2026-03-06 10:00")).unwrap();
    assert_eq!(approved.state, "approved");
    assert_eq!(approved.supplements.asked, 1);
    assert_eq!(approved.due_on, date("2026-03-16"), "4 and 5 March paused: 12/3 + 2 working days");
}
