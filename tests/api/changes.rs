//! Changes after issuance (issue 11) over real HTTP and PostGIS: a purpose change and a holder's
//! new address endorsed on the certificate, a re-survey that issues a new certificate, a couple
//! and a household printed and verified, a co-owner's share sold, an inheritance to two heirs.

use crate::common::{rect, scalar, TestApp};
use serde_json::{json, Value};

/// Phường Tân An (Cần Thơ): in force, no boundary on record, no sample parcels.
const COMMUNE: &str = "31147";
const TM3_105_30: &str = "http://www.opengis.net/def/crs/EPSG/0/9209";
const E0: f64 = 556_000.0;
const N0: f64 = 1_063_900.0;
const FIRST_REGISTRATION: &str = "1.012753";
const NAME_ADDRESS: &str = "1.013833";
const PURPOSE: &str = "1.013992";
const INHERITANCE: &str = "9.000102";
const SHARE_TRANSFER: &str = "9.000103";
const BOUNDARY: &str = "9.000105";

struct Desk {
    app: TestApp,
    officer: String,
    approver: String,
}

impl Desk {
    fn open() -> Desk {
        let app = TestApp::spawn_with_temp_keys();
        let (status, body) = app.post_json(
            &app.token("admin"),
            "/certificate-blanks",
            &json!({"province": "92", "prefix": "BD", "first": 1, "last": 40}),
        );
        assert_eq!(status, 201, "{body}");
        let (officer, approver) = (app.token("officer92"), app.token("approver92"));
        Desk { app, officer, approver }
    }

    fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.app.post_json(token, path, &body)
    }

    fn parcel(&self, number: i32, lot: f64, land_uses: Value) -> String {
        let (status, body) = self.post(
            &self.officer,
            "/parcels",
            json!({"commune": COMMUNE, "sheet": 11, "parcel": number, "crs": TM3_105_30,
                   "geometry": rect(E0 + lot * 20.0, N0, 20.0, 30.0), "land_uses": land_uses}),
        );
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    fn approved(&self, procedure: &str, parcel: &str) -> i64 {
        let (status, created) = self.post(
            &self.officer,
            "/dossiers",
            json!({"procedure": procedure, "channel": "counter", "commune": COMMUNE,
                   "applicant": {"kind": "person", "name": "Người Nộp"}, "parcels": [parcel]}),
        );
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_i64().unwrap();
        for (action, token) in [("start_appraisal", &self.officer), ("approve", &self.approver)] {
            let (status, body) = self.post(token, &format!("/dossiers/{id}/events"), json!({"action": action}));
            assert_eq!(status, 200, "{action}: {body}");
        }
        id
    }

    /// First registration with these holders; returns the issued certificate.
    fn registered(&self, parcel: &str, lot: f64, holders: Value) -> Value {
        let d = self.approved(FIRST_REGISTRATION, parcel);
        let (status, report) = self.post(
            &self.officer,
            &format!("/dossiers/{d}/checks"),
            json!({"parcel": parcel, "crs": TM3_105_30, "geometry": rect(E0 + lot * 20.0, N0, 20.0, 30.0),
                   "map_scale": 500, "holders": [{"name": "Chủ", "share": 1.0}]}),
        );
        assert_eq!(status, 201, "{report}");
        let (status, issued) =
            self.post(&self.approver, &format!("/dossiers/{d}/certificate"), json!({"holders": holders}));
        assert_eq!(status, 201, "{issued}");
        issued
    }

    fn change(&self, procedure: &str, parcel: &str, body: Value) -> (u16, Value) {
        let d = self.approved(procedure, parcel);
        self.post(&self.approver, &format!("/dossiers/{d}/changes"), body)
    }

    fn print(&self, serial: &str) -> String {
        let r = self
            .app
            .client
            .get(self.app.url(&format!("/certificates/{serial}/print")))
            .bearer_auth(&self.officer)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        r.text().unwrap()
    }
}

fn person(name: &str, id: &str, share: f64) -> Value {
    json!({"kind": "person", "name": name, "id_number": id, "share": share})
}

fn shares_of(app: &TestApp, right: i64) -> Vec<f64> {
    (0..10)
        .map_while(|i| {
            let n = scalar(
                app,
                &format!("SELECT coalesce((SELECT (share * 100000000)::bigint FROM rrr_shares WHERE rrr_id = {right} ORDER BY ord OFFSET {i} LIMIT 1), -1) AS n"),
            );
            (n >= 0).then_some(n as f64 / 1e8)
        })
        .collect()
}

#[test]
fn a_purpose_change_and_an_address_change_are_endorsed_and_verified() {
    let desk = Desk::open();
    let parcel = desk.parcel(1, 0.0, json!([{"code": "HNK"}]));
    let issued = desk.registered(
        &parcel,
        0.0,
        json!([{"kind": "person", "name": "Nguyễn Văn Một", "id_number": "092090001111",
        "share": 1.0, "title": "ong", "address": "số 1 đường Lê Lợi"}]),
    );
    let serial = issued["serial"].as_str().unwrap().to_string();
    let (_, before) = desk.app.get_json(&format!("/certificates/verify/{serial}"));
    let old_hash = before["content_hash"].as_str().unwrap().to_string();

    // Purpose: HNK → CLN, the whole parcel.
    let (status, purpose) = desk.change(
        PURPOSE,
        &parcel,
        json!({"change": {"kind": "purpose", "from": "HNK", "to": "CLN"},
        "legal_basis": "Đơn đăng ký biến động ngày 01/12/2026"}),
    );
    assert_eq!(status, 201, "{purpose}");
    assert_eq!(purpose["result"], "endorsement");
    assert_eq!(purpose["certificate"]["serial"], serial, "the same certificate, endorsed");
    assert_eq!((purpose["version_from"].as_i64(), purpose["version_to"].as_i64()), (Some(1), Some(2)));
    assert_ne!(purpose["right_from"], purpose["right_to"], "a new version of the right");
    let text = purpose["endorsement"].as_str().unwrap();
    assert!(
        text.starts_with("Chuyển mục đích sử dụng 600,0 m² đất từ ")
            && text.contains("(HNK) thành ")
            && text.contains("(CLN) theo hồ sơ số "),
        "{text}"
    );
    let old = purpose["right_from"].as_i64().unwrap();
    assert_eq!(
        scalar(&desk.app, &format!("SELECT count(*) AS n FROM rrrs WHERE id = {old} AND valid_to IS NOT NULL")),
        1,
        "old right closed, not updated"
    );
    assert_eq!(
        scalar(&desk.app, &format!("SELECT carried_from_id AS n FROM rrrs WHERE id = {}", purpose["right_to"])),
        old
    );

    // Address: endorsed "từ … thành … theo hồ sơ số …".
    let (status, address) = desk.change(
        NAME_ADDRESS,
        &parcel,
        json!({"change": {"kind": "holder_details", "holder": 0, "address": "số 9 đường Hùng Vương"},
        "legal_basis": "Giấy xác nhận thông tin cư trú", "event_date": "2026-11-20"}),
    );
    assert_eq!(status, 201, "{address}");
    assert_eq!(address["endorsement"], format!(
        "Thay đổi thông tin người sử dụng đất Nguyễn Văn Một: địa chỉ từ số 1 đường Lê Lợi thành số 9 đường Hùng Vương theo hồ sơ số {}",
        address["receipt_no"].as_str().unwrap()));
    assert!(address["due_on"].is_string() && address["late"].is_boolean(), "{address}");

    // The printable sheet shows both rows in section 6.
    let html = desk.print(&serial);
    let section = &html[html.find("6. Những thay đổi sau khi cấp").unwrap()..];
    assert_eq!(section.matches("<tr class=\"endorsement\">").count(), 2, "{section}");
    assert!(section.contains("số 9 đường Hùng Vương"));
    assert!(section.contains("Chuyển mục đích sử dụng 600,0 m²"));

    // Verification: the change is listed (what, when, which dossier), no names; old paper outdated.
    let (status, verified) = desk.app.get_json(&format!("/certificates/verify/{serial}?h={old_hash}"));
    assert_eq!(status, 200, "{verified}");
    assert_eq!(verified["valid"], true);
    assert_eq!(verified["content_current"], false);
    let kinds: Vec<&str> =
        verified["changes"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["purpose", "holder_details"], "{verified}");
    assert_eq!(verified["changes"][1]["dossier"], address["receipt_no"]);
    assert!(
        !verified.to_string().contains("Hùng Vương") && !verified.to_string().contains("Nguyễn Văn Một"),
        "{verified}"
    );

    // The parcel's public history: versions 1 and 2 and the two changes.
    let (_, history) = desk.app.get_json(&format!("/parcels/{parcel}/history"));
    assert_eq!(history["features"].as_array().unwrap().len(), 2);
    assert_eq!(history["features"][1]["properties"]["land_uses"][0]["code"], "CLN", "{history}");
    assert_eq!(history["changes"].as_array().unwrap().len(), 2, "{history}");
    assert_eq!(history["changes"][0]["summary"], "chuyển mục đích sử dụng đất: 600,0 m² HNK → CLN");
}

#[test]
fn a_re_survey_issues_a_new_certificate_and_replaces_the_old() {
    let desk = Desk::open();
    let parcel = desk.parcel(2, 3.0, json!([{"code": "ODT"}]));
    let issued = desk.registered(&parcel, 3.0, json!([person("Trần Văn Hai", "092090002222", 1.0)]));
    let serial = issued["serial"].as_str().unwrap().to_string();
    let (status, changed) = desk.change(
        BOUNDARY,
        &parcel,
        json!({"change": {"kind": "boundary", "crs": TM3_105_30,
        "geometry": rect(E0 + 60.0, N0, 20.0, 31.0), "reason": "đo đạc lại bản đồ địa chính 2026"},
        "legal_basis": "Mảnh trích đo địa chính số 12/2026"}),
    );
    assert_eq!(status, 201, "{changed}");
    assert_eq!(changed["result"], "new_certificate", "Decree 101/2024 Art. 23: remapping needs a new certificate");
    assert_eq!(changed["replaced"], serial);
    let new_serial = changed["certificate"]["serial"].as_str().unwrap();
    assert_ne!(new_serial, serial);
    assert_eq!(changed["certificate"]["content"]["parcel"]["area_m2"], 620.0);
    assert_eq!(changed["certificate"]["content"]["replaces"]["serial"], serial);
    let (_, old) = desk.app.get_json(&format!("/certificates/verify/{serial}"));
    assert_eq!((old["status"].as_str(), old["replaced_by"].as_str()), (Some("replaced"), Some(new_serial)), "{old}");
    assert_eq!(old["changes"][0]["result"], "new_certificate");
    let (_, new) = desk.app.get_json(&format!("/certificates/verify/{new_serial}"));
    assert_eq!(new["valid"], true);
}

#[test]
fn a_household_and_a_couple_print_and_verify() {
    let desk = Desk::open();
    let parcel = desk.parcel(3, 6.0, json!([{"code": "ODT"}]));
    let household = desk.registered(
        &parcel,
        6.0,
        json!([{"kind": "household", "name": "Lê Văn Cả", "title": "ong", "share": 1.0,
        "id_number": "092090003333", "members": [
            {"title": "ba", "name": "Phạm Thị Hai", "relation": "vợ"},
            {"title": "ong", "name": "Lê Văn Ba", "relation": "con"},
            {"title": "ba", "name": "Lê Thị Tư", "relation": "con"}]}]),
    );
    let serial = household["serial"].as_str().unwrap();
    let html = desk.print(serial);
    assert!(html.contains("Hộ ông: <b>Lê Văn Cả</b>; Số định danh cá nhân của chủ hộ: 092090003333<br>Các thành viên hộ gia đình cùng sử dụng đất:"), "{html}");
    for m in ["Bà <b>Phạm Thị Hai</b> (vợ)", "Ông <b>Lê Văn Ba</b> (con)", "Bà <b>Lê Thị Tư</b> (con)"] {
        assert!(html.contains(m), "{m}");
    }
    assert!(html.contains("Sử dụng chung"), "members share the household's right");
    let (_, v) = desk.app.get_json(&format!("/certificates/verify/{serial}"));
    assert_eq!(v["holders"][0]["kind"], "household");
    assert_eq!(v["holders"][0]["name"], "Lê V. C.");
    assert_eq!(v["holders"][0]["members"], json!(["Phạm T. H.", "Lê V. B.", "Lê T. T."]), "{v}");

    let parcel = desk.parcel(4, 9.0, json!([{"code": "ODT"}]));
    let couple = desk.registered(
        &parcel,
        9.0,
        json!([{"kind": "person", "name": "Võ Văn Chồng", "title": "ong", "share": 1.0,
        "id_number": "092090004444", "spouse": {"title": "ba", "name": "Đỗ Thị Vợ", "id_number": "092090005555"}}]),
    );
    let serial = couple["serial"].as_str().unwrap();
    let html = desk.print(serial);
    assert!(html.contains("Ông: <b>Võ Văn Chồng</b>; Số định danh cá nhân: 092090004444; và vợ: Bà <b>Đỗ Thị Vợ</b>; Số định danh cá nhân: 092090005555"), "{html}");
    assert!(!html.contains("phần quyền"), "spouses hold the right without shares");
    let (_, v) = desk.app.get_json(&format!("/certificates/verify/{serial}"));
    assert_eq!(
        (v["holders"][0]["name"].as_str(), v["holders"][0]["spouse"].as_str()),
        (Some("Võ V. C."), Some("Đỗ T. V.")),
        "{v}"
    );
    assert!(!v.to_string().contains("092090005555"));
    // A spouse without a title is refused, naming the field.
    let parcel = desk.parcel(5, 12.0, json!([{"code": "ODT"}]));
    let d = desk.approved(FIRST_REGISTRATION, &parcel);
    let (status, problem) = desk.post(
        &desk.approver,
        &format!("/dossiers/{d}/certificate"),
        json!({"holders": [{"kind": "person",
        "name": "A", "title": "ong", "share": 1.0, "spouse": {"name": "B"}}]}),
    );
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["pointer"], "/holders/0/spouse/title");
}

#[test]
fn a_co_owners_share_transfer_leaves_the_others_and_sums_to_one() {
    let desk = Desk::open();
    let parcel = desk.parcel(6, 15.0, json!([{"code": "ODT"}]));
    let third = 1.0 / 3.0;
    let issued = desk.registered(
        &parcel,
        15.0,
        json!([person("Một", "1", third), person("Hai", "2", third), person("Ba", "3", third)]),
    );
    let serial = issued["serial"].as_str().unwrap();
    let (status, changed) = desk.change(SHARE_TRANSFER, &parcel, json!({"change": {"kind": "share_transfer", "from": 1,
        "to": [person("Bốn", "4", third)]}, "legal_basis": "Hợp đồng chuyển nhượng phần quyền số 7/2026", "event_date": "2026-11-01"}));
    assert_eq!(status, 201, "{changed}");
    assert_eq!(changed["result"], "endorsement");
    let shares = shares_of(&desk.app, changed["right_to"].as_i64().unwrap());
    assert_eq!(shares, vec![0.33333333; 3], "the others keep theirs, the buyer takes the seller's");
    assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-6);
    let (_, v) = desk.app.get_json(&format!("/certificates/verify/{serial}"));
    let names: Vec<&str> = v["holders"].as_array().unwrap().iter().map(|h| h["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Một", "Ba", "Bốn"], "{v}");
    // Shares that do not add up are refused with the field.
    let (status, problem) = desk.change(
        SHARE_TRANSFER,
        &parcel,
        json!({"change": {"kind": "share_transfer", "from": 0,
        "to": [person("Năm", "5", 0.5)]}, "legal_basis": "x", "event_date": "2026-11-01"}),
    );
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["pointer"], "/change/to");
}

#[test]
fn an_inheritance_ends_the_deceaseds_right_and_opens_two_shares() {
    let desk = Desk::open();
    let parcel = desk.parcel(7, 18.0, json!([{"code": "ODT"}]));
    let issued = desk.registered(&parcel, 18.0, json!([person("Cụ Ông Tư", "092090006666", 1.0)]));
    let serial = issued["serial"].as_str().unwrap();
    let (status, changed) = desk.change(
        INHERITANCE,
        &parcel,
        json!({"change": {"kind": "inheritance", "deceased": 0,
        "heirs": [person("Con Cả", "092090007777", 0.5), person("Con Út", "092090008888", 0.5)]},
        "legal_basis": "Văn bản thỏa thuận phân chia di sản số 3/2026", "event_date": "2026-01-05"}),
    );
    assert_eq!(status, 201, "{changed}");
    let (from, to) = (changed["right_from"].as_i64().unwrap(), changed["right_to"].as_i64().unwrap());
    assert_eq!(scalar(&desk.app, &format!("SELECT count(*) AS n FROM rrrs WHERE id = {from} AND valid_to IS NOT NULL AND released_dossier_id = {}", changed["dossier"])), 1);
    assert_eq!(shares_of(&desk.app, to), vec![0.5, 0.5]);
    assert_eq!(
        scalar(&desk.app, &format!("SELECT registered_dossier_id AS n FROM rrrs WHERE id = {to}")),
        changed["dossier"].as_i64().unwrap()
    );
    // Registered after 30 days of the partition: flagged, in the history and the audit log too.
    assert_eq!(changed["late"], true, "{changed}");
    assert_eq!(changed["due_on"], "2026-02-04");
    let (_, history) = desk.app.get_json(&format!("/parcels/{parcel}/history"));
    assert_eq!(history["changes"][0]["late"], true);
    assert_eq!(scalar(&desk.app, "SELECT count(*) AS n FROM audit_log WHERE action = 'change.register' AND (after -> 'change' ->> 'late')::boolean"), 1);
    let html = desk.print(serial);
    assert!(html.contains("Nhận thừa kế quyền sử dụng đất của Cụ Ông Tư (100%): Con Cả (50%), Con Út (50%)"), "{html}");
    // The event date is required where the 30 days apply.
    let (status, problem) = desk.change(
        INHERITANCE,
        &parcel,
        json!({"change": {"kind": "inheritance", "deceased": 0,
        "heirs": [person("X", "1", 0.5)]}, "legal_basis": "x"}),
    );
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["pointer"], "/event_date");
}

#[test]
fn the_issuing_authority_and_registry_prefix_come_from_the_table() {
    let desk = Desk::open();
    let parcel = desk.parcel(8, 21.0, json!([{"code": "ODT"}]));
    let issued =
        desk.registered(&parcel, 21.0, json!([{"kind": "religious", "name": "Chùa Thử Nghiệm", "share": 1.0}]));
    assert_eq!(issued["authority"], "Sở Nông nghiệp và Môi trường thành phố Cần Thơ", "{issued}");
    assert!(issued["registry_no"].as_str().unwrap().starts_with("CT "), "{issued}");
    let html = desk.print(issued["serial"].as_str().unwrap());
    assert!(
        html.contains("Cơ sở tôn giáo: <b>Chùa Thử Nghiệm</b>") && html.contains("SỞ NÔNG NGHIỆP")
            || html.contains("Sở Nông nghiệp và Môi trường thành phố Cần Thơ")
    );
    let (_, v) = desk.app.get_json(&format!("/certificates/verify/{}", issued["serial"].as_str().unwrap()));
    assert_eq!(v["holders"][0]["name"], "Chùa Thử Nghiệm", "a religious establishment's name is public");
}
