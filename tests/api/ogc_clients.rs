//! A real OGC API – Features client reads us: GDAL's OAPIF driver (`ogrinfo`, Debian gdal-bin).

use std::process::Command;

use crate::common::TestApp;

fn ogrinfo(args: &[&str]) -> String {
    let out = Command::new("ogrinfo")
        .args(args)
        .env("GDAL_HTTP_TIMEOUT", "60")
        .output()
        .expect("ogrinfo runs (Debian gdal-bin, installed by scripts/prereqs.sh)");
    assert!(out.status.success(), "ogrinfo failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn ogrinfo_lists_the_parcels_layer_with_the_right_feature_count() {
    let app = TestApp::spawn();
    let source = format!("OAPIF:{}", app.base);
    let summary = ogrinfo(&["-ro", "-so", &source, "parcels", "-oo", "PAGE_SIZE=1000"]);
    assert!(summary.contains("Layer name: parcels"), "{summary}");
    assert!(summary.contains("Geometry: Multi Polygon"), "{summary}");
    let mut conn = app.db.conn();
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    use diesel::RunQueryDsl;
    let n: N = diesel::sql_query("SELECT count(*) AS n FROM parcel_versions WHERE valid_to IS NULL")
        .get_result(&mut conn)
        .unwrap();
    assert!(summary.contains(&format!("Feature Count: {}", n.n)), "expected {} features:\n{summary}", n.n);
}

#[test]
fn ogrinfo_reads_every_feature_by_following_next_links() {
    let app = TestApp::spawn();
    let source = format!("OAPIF:{}", app.base);
    // Small pages force many rel=next hops; a bbox filter exercises the spatial query.
    let all = ogrinfo(&["-ro", "-al", "-q", &source, "parcels", "-oo", "PAGE_SIZE=250"]);
    assert_eq!(all.matches("OGRFeature(parcels)").count(), 960);
    let one_commune = ogrinfo(&[
        "-ro",
        "-al",
        "-q",
        &source,
        "parcels",
        "-oo",
        "PAGE_SIZE=100",
        "-spat",
        "105.9",
        "9.55",
        "106.05",
        "9.65",
    ]);
    assert_eq!(one_commune.matches("OGRFeature(parcels)").count(), 240);
    let communes = ogrinfo(&["-ro", "-so", &source, "communes"]);
    assert!(communes.contains("Feature Count: 3321"), "{communes}");
}
