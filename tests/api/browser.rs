//! The web map in a real browser: headless Debian Chromium driven by playwright-core
//! (`tests/browser/map.mjs`, both installed by scripts/prereqs.sh) against a real server.
//! The screenshot lands in target/test-output/map.png.

use std::process::Command;

use crate::common::TestApp;
use diesel::RunQueryDsl;

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::Text)]
    national_id: String,
}

#[test]
fn the_map_loads_our_tiles_shows_a_card_on_click_and_finds_a_parcel() {
    let app = TestApp::spawn();
    // A residential parcel of the Sóc Trăng sample that the sample plan's road (DGT) crosses.
    let mut conn = app.db.conn();
    let road: Id = diesel::sql_query(
        "SELECT p.national_id FROM planning_zones z \
           JOIN planning_plans pl ON pl.id = z.plan_id AND pl.status = 'approved' \
           JOIN admin_units u ON u.id = pl.admin_unit_id AND u.code = '31507' \
           JOIN parcel_versions v ON v.valid_to IS NULL AND ST_Relate(z.geom, v.geom, '2********') \
           JOIN parcel_land_uses lu ON lu.parcel_version_id = v.id AND lu.land_use_code = 'ODT' \
           JOIN parcels p ON p.id = v.parcel_id \
          WHERE z.land_use_code = 'DGT' ORDER BY ST_Area(ST_Intersection(z.geom, v.geom)) DESC LIMIT 1",
    )
    .get_result(&mut conn)
    .unwrap();

    let repo = crate::common::repo_dir();
    let screenshot = repo.join("target/test-output/map.png");
    let _ = std::fs::remove_file(&screenshot);
    let out = Command::new("node")
        .arg(repo.join("tests/browser/map.mjs"))
        .arg(&app.base)
        .arg(&screenshot)
        .arg(&road.national_id)
        .current_dir(&repo)
        .output()
        .expect("node runs (installed with the machine; scripts/prereqs.sh installs Debian's otherwise)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "map.mjs failed:\n{stdout}\n{stderr}\n(run `make prereqs`: Chromium and node_modules)"
    );
    let summary: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("{}")).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    eprintln!("{summary:#}");
    assert!(summary["mvt"]["200"].as_u64().unwrap_or(0) > 0, "no tile came back with 200: {summary}");
    assert!(summary["rendered_parcels"].as_u64().unwrap_or(0) > 0, "{summary}");
    assert!(summary["rendered_zones"].as_u64().unwrap_or(0) > 0, "{summary}");
    assert_eq!(summary["click"]["parcel"], road.national_id.as_str());
    assert!(summary["search"]["text"].as_str().unwrap().contains("Thửa đất số 5"), "{summary}");
    assert!(!summary["dossier"].as_str().unwrap_or("").is_empty(), "{summary}");
    assert!(
        std::fs::metadata(&screenshot).map(|m| m.len() > 10_000).unwrap_or(false),
        "no screenshot at {}",
        screenshot.display()
    );
}
