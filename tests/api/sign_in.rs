//! Sign-in and bounded work per request over real HTTP: the failed sign-in throttle (per
//! account, per client address, audited, kept in the database), sign-out, deactivation and
//! password reset through the CLI, and the body limits (64 KiB public, 4 MiB staff).

use diesel::prelude::*;
use serde_json::{json, Value};

use crate::common::{TestApp, PASSWORD};
use diachinh::service::Settings;
use store::schema::audit_log;

/// `POST /auth/token`: status, the Retry-After header, the body.
fn sign_in(app: &TestApp, username: &str, password: &str) -> (u16, Option<String>, Value) {
    let r = app
        .client
        .post(app.url("/auth/token"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .unwrap();
    let status = r.status().as_u16();
    if status >= 400 {
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
    let retry_after = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    (status, retry_after, r.json().unwrap_or(Value::Null))
}

/// Audit entries of an action: (entity_id, after).
fn audited(app: &TestApp, action: &str) -> Vec<(String, Option<Value>)> {
    audit_log::table
        .filter(audit_log::action.eq(action))
        .order(audit_log::id)
        .select((audit_log::entity_id, audit_log::after))
        .load(&mut app.db.conn())
        .unwrap()
}

fn get_status(app: &TestApp, token: &str, path: &str) -> u16 {
    app.client.get(app.url(path)).bearer_auth(token).send().unwrap().status().as_u16()
}

#[test]
fn five_failed_sign_ins_lock_the_account_for_a_while_and_are_audited() {
    let app = TestApp::spawn();
    for _ in 0..5 {
        let (status, retry_after, problem) = sign_in(&app, "officer92", "not the password");
        assert_eq!(status, 401, "{problem}");
        assert!(retry_after.is_none());
    }
    // The sixth attempt is refused before the password is looked at, even the right one.
    let (status, retry_after, problem) = sign_in(&app, "officer92", PASSWORD);
    assert_eq!(status, 429, "{problem}");
    let seconds: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=15 * 60).contains(&seconds), "{seconds}");
    assert_eq!(problem["type"], "https://diachinh.invalid/problems/too-many-requests");
    assert_eq!(problem["status"], 429);
    assert!(problem["title"].is_string() && problem["detail"].is_string(), "{problem}");

    // Every failure is audited, without the password; the throttled attempt is not a failure.
    let failures = audited(&app, "auth.sign_in_failed");
    assert_eq!(failures.len(), 5, "{failures:?}");
    for (entity_id, after) in &failures {
        assert_eq!(entity_id, "officer92");
        let after = after.as_ref().unwrap();
        assert_eq!(after["reason"], "wrong password");
        assert_eq!(after["client"], "127.0.0.1");
        assert!(!after.to_string().contains("not the password"), "{after}");
    }

    // Another account (from the same address, under its limit of 20) is unaffected.
    assert_eq!(sign_in(&app, "officer56", PASSWORD).0, 200);
    // An unknown account is throttled the same way, so probing for names is bounded too.
    for _ in 0..5 {
        assert_eq!(sign_in(&app, "nobody", PASSWORD).0, 401);
    }
    assert_eq!(sign_in(&app, "nobody", PASSWORD).0, 429);
    assert_eq!(audited(&app, "auth.sign_in_failed").last().unwrap().1.as_ref().unwrap()["reason"], "unknown account");
}

#[test]
fn a_successful_sign_in_resets_the_account_count_and_the_address_has_its_own_limit() {
    let settings = Settings { sign_in_failures_per_account: 3, sign_in_failures_per_client: 5, ..Settings::default() };
    let app = TestApp::spawn_with(settings);
    // Two failures, then a success: the count starts again.
    assert_eq!(sign_in(&app, "admin", "wrong wrong wrong").0, 401);
    assert_eq!(sign_in(&app, "admin", "wrong wrong wrong").0, 401);
    assert_eq!(sign_in(&app, "admin", PASSWORD).0, 200);
    assert_eq!(sign_in(&app, "admin", "wrong wrong wrong").0, 401);
    assert_eq!(sign_in(&app, "admin", "wrong wrong wrong").0, 401);
    assert_eq!(sign_in(&app, "admin", PASSWORD).0, 200, "only two failures since the last success");
    // Five failures from this address in all (over several accounts): the address is throttled.
    assert_eq!(sign_in(&app, "officer56", "wrong wrong wrong").0, 401);
    let (status, retry_after, _) = sign_in(&app, "planner92", PASSWORD);
    assert_eq!(status, 429, "the address has failed 5 times");
    assert!(retry_after.is_some());
    assert_eq!(audited(&app, "auth.sign_in_failed").len(), 5);
}

#[test]
fn logout_revokes_the_presented_token_only() {
    let app = TestApp::spawn();
    let token = app.token("admin");
    let other = app.token("admin");
    assert_eq!(get_status(&app, &token, "/audit/verify"), 200);
    let logout = |t: &str| app.client.post(app.url("/auth/logout")).bearer_auth(t).send().unwrap();
    assert_eq!(logout(&token).status(), 204);
    assert_eq!(get_status(&app, &token, "/audit/verify"), 401);
    let again = logout(&token);
    assert_eq!(again.status(), 401);
    assert_eq!(again.headers()["content-type"], "application/problem+json");
    assert_eq!(app.client.post(app.url("/auth/logout")).send().unwrap().status(), 401, "no token");
    assert_eq!(get_status(&app, &other, "/audit/verify"), 200, "the other session stays");
}

/// Runs the `diachinh` binary against the test's database.
fn cli(app: &TestApp, args: &[&str], password: Option<&str>) -> (bool, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_diachinh"));
    command
        .args(args)
        .current_dir(std::env::temp_dir())
        .env("DATABASE_URL", &app.db.url)
        .env_remove("DIACHINH_CONFIG")
        .env_remove("DIACHINH_PASSWORD")
        .env("RUST_LOG", "warn");
    if let Some(p) = password {
        command.env("DIACHINH_PASSWORD", p);
    }
    let out = command.output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
}

#[test]
fn the_cli_deactivates_an_account_and_resets_a_password_revoking_their_tokens() {
    let app = TestApp::spawn();
    let officer = app.token("officer92");
    assert_eq!(get_status(&app, &officer, "/dossiers"), 200);
    let (ok, text) = cli(&app, &["user", "deactivate", "--username", "officer92"], None);
    assert!(ok, "{text}");
    assert!(text.contains("1 token(s) revoked"), "{text}");
    assert_eq!(get_status(&app, &officer, "/dossiers"), 401, "its token stopped working");
    // A deactivated account gets the same answer as a wrong password.
    let (status, _, refused) = sign_in(&app, "officer92", PASSWORD);
    let (_, _, wrong) = sign_in(&app, "officer56", "not the password");
    assert_eq!(status, 401);
    assert_eq!(refused["detail"], wrong["detail"]);
    let deactivated = audited(&app, "user.deactivate");
    assert_eq!(deactivated.len(), 1);
    assert_eq!(deactivated[0].0, "officer92");
    assert_eq!(deactivated[0].1.as_ref().unwrap()["tokens_revoked"], 1);
    let (ok, text) = cli(&app, &["user", "deactivate", "--username", "nobody"], None);
    assert!(!ok && text.contains("not found"), "{text}");

    // Reset: old tokens and the old password stop working, the new one works.
    let planner = app.token("planner92");
    let (ok, text) = cli(&app, &["user", "reset-password", "--username", "planner92"], Some("short"));
    assert!(!ok, "too short: {text}");
    let new_password = "a brand new passphrase";
    let (ok, text) = cli(&app, &["user", "reset-password", "--username", "planner92"], Some(new_password));
    assert!(ok, "{text}");
    assert_eq!(get_status(&app, &planner, "/dossiers"), 401);
    assert_eq!(sign_in(&app, "planner92", PASSWORD).0, 401);
    assert_eq!(sign_in(&app, "planner92", new_password).0, 200);
    let reset = audited(&app, "user.reset_password");
    assert_eq!(reset.len(), 1);
    assert!(!reset[0].1.as_ref().unwrap().to_string().contains(new_password));
}

#[test]
fn a_public_body_over_64_kib_is_refused_with_413() {
    let app = TestApp::spawn();
    let body = json!({"username": "x".repeat(100 * 1024), "password": PASSWORD}).to_string();
    let r =
        app.client.post(app.url("/auth/token")).header("content-type", "application/json").body(body).send().unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = r.json().unwrap();
    assert_eq!(problem["type"], "https://diachinh.invalid/problems/content-too-large");
    assert_eq!(problem["status"], 413);
    assert!(problem["title"].is_string() && problem["detail"].is_string(), "{problem}");
}

/// A square of `side` metres at (x0, y0) in TM-3 105°30′, with `per_edge` positions per edge.
fn dense_square(x0: f64, y0: f64, side: f64, per_edge: usize) -> Value {
    let step = side / per_edge as f64;
    let mut ring = Vec::with_capacity(4 * per_edge + 1);
    for i in 0..per_edge {
        ring.push(json!([x0 + i as f64 * step, y0]));
    }
    for i in 0..per_edge {
        ring.push(json!([x0 + side, y0 + i as f64 * step]));
    }
    for i in 0..per_edge {
        ring.push(json!([x0 + side - i as f64 * step, y0 + side]));
    }
    for i in 0..per_edge {
        ring.push(json!([x0, y0 + side - i as f64 * step]));
    }
    ring.push(json!([x0, y0]));
    json!({"type": "Polygon", "coordinates": [ring]})
}

#[test]
fn a_staff_zone_import_over_the_public_limit_is_accepted_and_one_over_4_mib_refused() {
    let app = TestApp::spawn();
    let planner = app.token("planner92");
    let (status, plan) = app.post_json(
        &planner,
        "/planning/plans",
        &json!({"level": "commune", "unit": "31507", "name": "Quy hoạch lớn", "period_start": 2021,
                "period_end": 2030, "status": "draft"}),
    );
    assert_eq!(status, 201, "{plan}");
    let id = plan["id"].as_i64().unwrap();
    // 40 zones of 18 m × 18 m, 800 positions each: about 1 MiB of JSON.
    let features: Vec<Value> = (0..40)
        .map(|k| {
            let (col, row) = ((k % 10) as f64, (k / 10) as f64);
            let geometry = dense_square(551_600.0 + col * 20.0, 1_061_700.0 + row * 20.0, 18.0, 200);
            json!({"type": "Feature", "properties": {"land_use": "ODT", "name": format!("vùng {k}")}, "geometry": geometry})
        })
        .collect();
    let body =
        json!({"type": "FeatureCollection", "crs": "http://www.opengis.net/def/crs/EPSG/0/9209", "features": features});
    let size = body.to_string().len();
    assert!(size > 512 * 1024 && size < 4 * 1024 * 1024, "{size}");
    let (status, imported) = app.post_json(&planner, &format!("/planning/plans/{id}/zones"), &body);
    assert_eq!(status, 201, "{imported}");
    assert_eq!(imported["imported"], 40);

    // Over the staff limit: 413, refused from its declared length.
    let huge = json!({"type": "FeatureCollection", "features": [], "padding": "x".repeat(5 * 1024 * 1024)}).to_string();
    let send = |token: Option<&str>| {
        let mut r = app
            .client
            .post(app.url(&format!("/planning/plans/{id}/zones")))
            .header("content-type", "application/json")
            .body(huge.clone());
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().unwrap()
    };
    let r = send(Some(&planner));
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // Without a token, authentication comes first.
    assert_eq!(send(None).status(), 401);
}
