//! The one-stop dashboard: the page and its files are ours (no other site), its figures are
//! those of `/stats/timeliness` and `/stats/queue`, and it loads in headless Chromium without a
//! console error (`tests/browser/dashboard.mjs`, playwright-core driving Debian's Chromium, as
//! for the map). The screenshot lands in target/test-output/dashboard.png.

use std::process::Command;

use crate::common::TestApp;
use serde_json::Value;

/// The year of the sample history (it ends on a fixed day, so the figures are the same any day).
fn sample_period() -> String {
    let until = diachinh::service::seed::sample_dossiers_until().date_naive();
    format!("from={}&to={until}", until - chrono::Duration::days(400))
}

#[test]
fn the_queue_says_where_the_open_dossiers_are_without_personal_data() {
    let app = TestApp::spawn();
    let (status, q) = app.get_json("/stats/queue?province=92");
    assert_eq!(status, 200, "{q}");
    let holders = q["by_holder"].as_array().unwrap();
    let units: Vec<&str> = holders.iter().map(|h| h["unit"].as_str().unwrap()).collect();
    assert_eq!(units, ["one_stop", "registration_office", "commune", "tax_office", "applicant"]);
    let open: u64 = holders.iter().map(|h| h["open"].as_u64().unwrap()).sum();
    assert_eq!(open, q["open"].as_u64().unwrap());
    assert!(open > 0, "the sample leaves dossiers open: {q}");
    let states: u64 = q["by_state"].as_array().unwrap().iter().map(|s| s["count"].as_u64().unwrap()).sum();
    assert_eq!(states, open);
    let overdue: u64 = holders.iter().map(|h| h["overdue"].as_u64().unwrap()).sum();
    let bucketed: u64 = q["overdue_buckets"].as_array().unwrap().iter().map(|b| b["count"].as_u64().unwrap()).sum();
    assert_eq!(overdue, bucketed);
    let items = q["overdue"].as_array().unwrap();
    assert_eq!(items.len() as u64, overdue.min(100));
    assert!(items.windows(2).all(|w| w[0]["overdue_working_days"].as_i64() >= w[1]["overdue_working_days"].as_i64()));
    assert!(!q.to_string().contains("Người nộp mẫu"), "no applicant's name");
    assert!(!q.to_string().contains("sample-clerk"), "no officer's name");
    assert_eq!(app.get("/stats/queue?who=me").status(), 400);
}

#[test]
fn the_dashboard_is_served_from_a_fixed_list_under_a_strict_policy() {
    let app = TestApp::spawn();
    let page = app.get("/dashboard");
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("default-src 'self'") && csp.contains("script-src 'self'"), "{csp}");
    let html = page.text().unwrap();
    assert!(html.contains("lang=\"vi\"") && html.contains("Bảng điều hành một cửa"), "Vietnamese");
    assert!(!html.contains("http://") && !html.contains("https://"), "nothing from another site");
    for file in ["dashboard.js", "dashboard.css"] {
        assert_eq!(app.get(&format!("/dashboard/{file}")).status(), 200, "{file}");
    }
    assert_eq!(app.get("/dashboard/../Cargo.toml").status(), 404);
    assert_eq!(app.get("/dashboard/map.js").status(), 404);
    assert_eq!(app.get("/dashboard?colour=red").status(), 400);
    assert_eq!(app.get("/dashboard?from=2026-13-01").status(), 400);
}

#[test]
fn the_dashboard_loads_in_chromium_and_shows_the_same_on_time_rate_as_the_statistics() {
    let app = TestApp::spawn();
    let period = sample_period();
    let (status, stats) = app.get_json(&format!("/stats/timeliness?{period}"));
    assert_eq!(status, 200, "{stats}");
    let (_, queue) = app.get_json("/stats/queue");

    let repo = crate::common::repo_dir();
    let screenshot = repo.join("target/test-output/dashboard.png");
    let _ = std::fs::remove_file(&screenshot);
    let out = Command::new("node")
        .arg(repo.join("tests/browser/dashboard.mjs"))
        .arg(&app.base)
        .arg(&screenshot)
        .arg(&period)
        .current_dir(&repo)
        .output()
        .expect("node runs (installed with the machine; scripts/prereqs.sh installs Debian's otherwise)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "dashboard.mjs failed:\n{stdout}\n{stderr}\n(run `make prereqs`: Chromium and node_modules)"
    );
    let shown: Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("{}")).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    eprintln!("{shown:#}");
    assert_eq!(shown["ready"], "1", "{shown}");
    assert_eq!(shown["errors"], serde_json::json!([]), "console errors, page errors or foreign requests");

    // The on-time rate shown is the statistics' own, to the digit, in the Vietnamese form.
    let y = &stats["yardsticks"];
    let office = y["office_rate"]["pct"].as_f64().unwrap();
    assert_eq!(shown["office_rate"]["value"].as_f64(), Some(office));
    assert_eq!(shown["office_rate"]["text"], format!("{office:.1} %").replace('.', ","));
    assert_eq!(shown["index_progress"]["value"].as_f64(), y["service_index_progress"]["pct"].as_f64());
    assert_eq!(shown["circular_score"]["value"].as_f64(), y["circular_01_score"]["mean"].as_f64());
    assert_eq!(shown["late_flag"]["value"].as_f64(), y["late_flag"]["pct"].as_f64());
    assert_eq!(shown["without_apology"]["value"].as_f64(), y["apology"]["without_apology"].as_f64());
    // One bar a month with resolved dossiers, each at its month's rate; one a procedure.
    let months: Vec<(String, f64)> = stats["by_month"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| Some((m["key"].as_str()?.to_string(), m["office_rate_pct"].as_f64()?)))
        .collect();
    let bars: Vec<(String, f64)> = shown["month_bars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["key"].as_str().unwrap().to_string(), b["value"].as_f64().unwrap()))
        .collect();
    assert!(months.len() >= 12, "a year of months: {months:?}");
    assert_eq!(bars, months);
    assert_eq!(shown["procedure_bars"].as_u64().unwrap() as usize, stats["by_procedure"].as_array().unwrap().len());
    // The units and what they hold, as the queue says.
    let units: Vec<(String, u64)> = shown["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["unit"].as_str().unwrap().to_string(), u["open"].as_u64().unwrap()))
        .collect();
    let expected: Vec<(String, u64)> = queue["by_holder"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["unit"].as_str().unwrap().to_string(), h["open"].as_u64().unwrap()))
        .collect();
    assert_eq!(units, expected);
    assert_eq!(shown["overdue_rows"].as_u64(), Some(queue["overdue"].as_array().unwrap().len() as u64));
    assert!(
        std::fs::metadata(&screenshot).map(|m| m.len() > 10_000).unwrap_or(false),
        "no screenshot at {}",
        screenshot.display()
    );
}
