//! Restrictions over real HTTP and a real PostGIS: a mortgage registered and released through
//! dossiers of its own procedures and the transfer it blocks meanwhile; a seizure that blocks
//! issue, transfer, split and merge until it is lifted; a mortgagee's consent; the public view
//! that says only yes/no; and refusals that change nothing.

use crate::common::{rect, scalar, scalar_on, TestApp};
use diesel::{Connection, PgConnection, RunQueryDsl};
use domain::restriction::{BlockingTable, RecordedRestriction, RestrictionKind};
use serde_json::{json, Value};

/// Phường Tân An (Cần Thơ): in force, no boundary on record, no sample parcels.
const COMMUNE: &str = "31147";
const TM3_105_30: &str = "http://www.opengis.net/def/crs/EPSG/0/9209";
const E0: f64 = 556_000.0;
const N0: f64 = 1_063_700.0;
const FIRST_REGISTRATION: &str = "1.012753";
const TRANSFER: &str = "1.013831";
const MORTGAGE: &str = "9.000001";
const MORTGAGE_RELEASE: &str = "9.000002";
const SEIZURE: &str = "9.000003";
const SEIZURE_LIFT: &str = "9.000004";

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
            &json!({"province": "92", "prefix": "RS", "first": 1, "last": 40}),
        );
        assert_eq!(status, 201, "{body}");
        let (officer, approver) = (app.token("officer92"), app.token("approver92"));
        Desk { app, officer, approver }
    }

    fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.app.post_json(token, path, &body)
    }

    /// A 20 m × 30 m parcel `lot` lots east of E0.
    fn parcel(&self, number: i32, lot: f64) -> String {
        let (status, body) = self.post(
            &self.officer,
            "/parcels",
            json!({"commune": COMMUNE, "sheet": 9, "parcel": number, "crs": TM3_105_30,
                   "geometry": rect(E0 + lot * 20.0, N0, 20.0, 30.0), "land_uses": [{"code": "ODT"}]}),
        );
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    /// A dossier of `procedure` naming `parcels`, received, appraised and approved.
    fn approved(&self, procedure: &str, parcels: &[&str]) -> i64 {
        let (status, created) = self.post(
            &self.officer,
            "/dossiers",
            json!({"procedure": procedure, "channel": "counter", "commune": COMMUNE,
                   "applicant": {"kind": "organisation", "name": "Ngân hàng Thử nghiệm"}, "parcels": parcels}),
        );
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_i64().unwrap();
        for (action, token) in [("start_appraisal", &self.officer), ("approve", &self.approver)] {
            let (status, body) = self.post(token, &format!("/dossiers/{id}/events"), json!({"action": action}));
            assert_eq!(status, 200, "{action}: {body}");
        }
        id
    }

    /// The dossier's check of the parcel at `lot` as registered, with one holder; a transfer
    /// names the certificate it replaces (R7.1).
    fn check(&self, dossier: i64, parcel: &str, lot: f64, replaces: Option<&str>) -> Value {
        let mut body = json!({"parcel": parcel, "crs": TM3_105_30, "geometry": rect(E0 + lot * 20.0, N0, 20.0, 30.0),
                   "map_scale": 500, "holders": [{"name": "Lê Văn Chủ", "share": 1.0}]});
        if let Some(serial) = replaces {
            body["replaces_serial"] = json!(serial);
        }
        let (status, report) = self.post(&self.officer, &format!("/dossiers/{dossier}/checks"), body);
        assert_eq!(status, 201, "{report}");
        report
    }

    fn issue(&self, dossier: i64, name: &str) -> (u16, Value) {
        self.post(
            &self.approver,
            &format!("/dossiers/{dossier}/certificate"),
            json!({"holders": [{"kind": "person", "name": name, "id_number": "092090001234", "share": 1.0}]}),
        )
    }

    /// First registration of the parcel at `lot`, with its certificate; returns the serial.
    fn registered(&self, parcel: &str, lot: f64) -> String {
        let d = self.approved(FIRST_REGISTRATION, &[parcel]);
        self.check(d, parcel, lot, None);
        let (status, issued) = self.issue(d, "Lê Văn Chủ");
        assert_eq!(status, 201, "{issued}");
        issued["serial"].as_str().unwrap().to_string()
    }

    fn mortgage(&self, parcel: &str) -> Value {
        let d = self.approved(MORTGAGE, &[parcel]);
        let (status, body) = self.post(
            &self.approver,
            &format!("/dossiers/{d}/restrictions"),
            json!({"kind": "mortgage", "legal_basis": "Nghị định 99/2022/NĐ-CP", "counterparty": "Ngân hàng TMCP Thử nghiệm",
                   "reference_no": "HĐTC-45/2026", "secured_amount": 1_500_000_000i64,
                   "documents": ["Hợp đồng thế chấp số HĐTC-45/2026"]}),
        );
        assert_eq!(status, 201, "{body}");
        body
    }

    fn seize(&self, parcel: &str) -> i64 {
        let d = self.approved(SEIZURE, &[parcel]);
        let (status, body) = self.post(
            &self.approver,
            &format!("/dossiers/{d}/restrictions"),
            json!({"legal_basis": "Luật Thi hành án dân sự, Điều 89", "counterparty": "Chi cục Thi hành án dân sự",
                   "reference_no": "QĐ 12/QĐ-CCTHADS"}),
        );
        assert_eq!(status, 201, "{body}");
        body["restrictions"][0]["id"].as_i64().unwrap()
    }

    fn release(&self, restriction: i64, procedure: &str, parcel: &str) -> (u16, Value) {
        let d = self.approved(procedure, &[parcel]);
        self.post(
            &self.approver,
            &format!("/restrictions/{restriction}/release"),
            json!({"dossier": d, "reason": "đã tất toán khoản vay"}),
        )
    }
}

fn rule<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == id)
        .unwrap_or_else(|| panic!("no {id}: {report}"))
}

#[test]
fn a_mortgage_blocks_the_transfer_until_it_is_released() {
    let desk = Desk::open();
    let parcel = desk.parcel(1, 0.0);
    let serial = desk.registered(&parcel, 0.0);

    let registered = desk.mortgage(&parcel);
    let mortgage = &registered["restrictions"][0];
    let id = mortgage["id"].as_i64().unwrap();
    assert_eq!(mortgage["kind"], "mortgage");
    assert_eq!(mortgage["in_force"], true);
    assert_eq!(mortgage["secured_amount"], 1_500_000_000i64);
    assert_eq!(registered["endorsed_certificates"], json!([serial]), "a mortgage is entered on the certificate");

    // The public sees yes/no only; staff see the record.
    let (_, public) = desk.app.get_json(&format!("/parcels/{parcel}"));
    assert_eq!(public["properties"]["has_mortgage"], true, "{public}");
    assert_eq!(public["properties"]["restricted"], true);
    let text = public.to_string();
    for secret in ["Ngân hàng", "HĐTC-45", "1500000000"] {
        assert!(!text.contains(secret), "{secret} leaked into the public view: {text}");
    }
    let (status, list) = desk.app.get_json_auth(&desk.officer, &format!("/parcels/{parcel}/restrictions"));
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["restrictions"][0]["counterparty"], "Ngân hàng TMCP Thử nghiệm");
    assert_eq!(desk.app.get_json(&format!("/parcels/{parcel}/restrictions")).0, 401);

    // The transfer's check fails R7.2 naming the mortgage, its id and legal basis.
    let transfer = desk.approved(TRANSFER, &[&parcel]);
    let report = desk.check(transfer, &parcel, 0.0, Some(&serial));
    let r72 = rule(&report, "R7.2");
    assert_eq!(r72["outcome"], "fail", "{report}");
    let message = r72["message"].as_str().unwrap();
    assert!(message.contains(&format!("mortgage #{id}")) && message.contains("Bộ luật Dân sự"), "{message}");
    assert_eq!(r72["details"]["blocking_records"][0]["id"], id);
    // … and issuing on that check is refused, naming the rule, writing nothing.
    let before = desk.app.row_counts();
    let (status, refused) = desk.issue(transfer, "Phạm Thị Mua");
    assert_eq!(status, 409, "{refused}");
    assert!(refused["detail"].as_str().unwrap().contains("R7.2"), "{refused}");
    assert_eq!(desk.app.row_counts(), before, "a refused transfer writes nothing");

    // Released through its own procedure; the same check then passes and the transfer issues.
    let (status, released) = desk.release(id, MORTGAGE_RELEASE, &parcel);
    assert_eq!(status, 200, "{released}");
    assert_eq!(released["in_force"], false);
    assert_eq!(released["ended_reason"], "đã tất toán khoản vay");
    let report = desk.check(transfer, &parcel, 0.0, Some(&serial));
    assert_eq!(rule(&report, "R7.2")["outcome"], "pass", "{report}");
    let (status, issued) = desk.issue(transfer, "Phạm Thị Mua");
    assert_eq!(status, 201, "{issued}");
    let (_, public) = desk.app.get_json(&format!("/parcels/{parcel}"));
    assert_eq!(public["properties"]["has_mortgage"], false);
    assert_eq!(public["properties"]["restricted"], false);

    // Every step is in the audit log.
    for action in ["restriction.register", "restriction.release"] {
        let n = scalar(
            &desk.app,
            &format!("SELECT count(*) AS n FROM audit_log WHERE action = '{action}' AND entity_id = '{id}'"),
        );
        assert_eq!(n, 1, "{action}");
    }
}

#[test]
fn a_mortgagee_consent_lets_that_one_transfer_through() {
    let desk = Desk::open();
    let parcel = desk.parcel(2, 0.0);
    let serial = desk.registered(&parcel, 0.0);
    let id = desk.mortgage(&parcel)["restrictions"][0]["id"].as_i64().unwrap();
    let transfer = desk.approved(TRANSFER, &[&parcel]);
    let (status, consent) = desk.post(
        &desk.officer,
        &format!("/restrictions/{id}/consents"),
        json!({"dossier": transfer, "document": "Văn bản đồng ý số 7/NH"}),
    );
    assert_eq!(status, 201, "{consent}");
    let (status, again) = desk.post(
        &desk.officer,
        &format!("/restrictions/{id}/consents"),
        json!({"dossier": transfer, "document": "Văn bản đồng ý số 7/NH"}),
    );
    assert_eq!(status, 409, "{again}");
    let report = desk.check(transfer, &parcel, 0.0, Some(&serial));
    assert_eq!(rule(&report, "R7.2")["outcome"], "pass", "{report}");
    let (status, issued) = desk.issue(transfer, "Phạm Thị Mua");
    assert_eq!(status, 201, "{issued}");
    // The mortgage stays on the land.
    let (_, public) = desk.app.get_json(&format!("/parcels/{parcel}"));
    assert_eq!(public["properties"]["has_mortgage"], true);
}

#[test]
fn a_seizure_blocks_issue_transfer_split_and_merge_until_lifted() {
    let desk = Desk::open();
    // Issue: a first registration on seized land.
    let bare = desk.parcel(3, 0.0);
    let seizure = desk.seize(&bare);
    let first = desk.approved(FIRST_REGISTRATION, &[&bare]);
    let report = desk.check(first, &bare, 0.0, None);
    assert_eq!(rule(&report, "R7.2")["outcome"], "fail", "{report}");
    let (status, refused) = desk.issue(first, "Lê Văn Chủ");
    assert_eq!(status, 409, "{refused}");
    assert!(refused["detail"].as_str().unwrap().contains("R7.2"), "{refused}");
    assert!(rule(&report, "R7.2")["message"].as_str().unwrap().contains(&format!("seizure #{seizure}")), "{report}");

    // Transfer, split and merge of registered land.
    let (a, b, c) = (desk.parcel(4, 2.0), desk.parcel(5, 3.0), desk.parcel(8, 4.0));
    let serial = desk.registered(&a, 2.0);
    let held = desk.seize(&a);
    let held_b = desk.seize(&b);
    let transfer = desk.approved(TRANSFER, &[&a]);
    desk.check(transfer, &a, 2.0, Some(&serial));
    let (status, refused) = desk.issue(transfer, "Phạm Thị Mua");
    assert_eq!(status, 409, "{refused}");
    let x = E0 + 2.0 * 20.0;
    let split_body = json!({"crs": TM3_105_30, "reason": "chia cho con", "parts": [
        {"parcel": 41, "geometry": rect(x, N0, 8.0, 30.0), "land_uses": [{"code": "ODT"}]},
        {"parcel": 42, "geometry": rect(x + 8.0, N0, 12.0, 30.0), "land_uses": [{"code": "ODT"}]}]});
    let before = desk.app.row_counts();
    let (status, refused) = desk.post(&desk.approver, &format!("/parcels/{a}/split"), split_body.clone());
    assert_eq!(status, 409, "{refused}");
    assert!(refused["detail"].as_str().unwrap().starts_with("R7.2"), "{refused}");
    assert_eq!(refused["errors"][0]["detail"]["restriction"], held, "{refused}");
    assert_eq!(refused["errors"][0]["detail"]["kind"], "seizure");
    let merge_body = json!({"parcels": [b, c], "parcel": 43, "reason": "hợp thửa"});
    let (status, refused) = desk.post(&desk.approver, "/parcels/merge", merge_body.clone());
    assert_eq!(status, 409, "{refused}");
    assert!(refused["detail"].as_str().unwrap().starts_with("R7.2"), "{refused}");
    assert_eq!(desk.app.row_counts(), before, "refusals write nothing");

    // Lifted: each goes through.
    for (id, parcel) in [(seizure, &bare), (held, &a), (held_b, &b)] {
        let (status, lifted) = desk.release(id, SEIZURE_LIFT, parcel);
        assert_eq!(status, 200, "{lifted}");
    }
    let report = desk.check(first, &bare, 0.0, None);
    assert_eq!(rule(&report, "R7.2")["outcome"], "pass", "{report}");
    let (status, issued) = desk.issue(first, "Lê Văn Chủ");
    assert_eq!(status, 201, "{issued}");
    let report = desk.check(transfer, &a, 2.0, Some(&serial));
    assert_eq!(rule(&report, "R7.2")["outcome"], "pass", "{report}");
    let (status, issued) = desk.issue(transfer, "Phạm Thị Mua");
    assert_eq!(status, 201, "{issued}");
    let (status, split) = desk.post(&desk.approver, &format!("/parcels/{a}/split"), split_body);
    assert_eq!(status, 201, "{split}");
    let (status, merged) = desk.post(&desk.approver, "/parcels/merge", merge_body);
    assert_eq!(status, 201, "{merged}");
}

#[test]
fn bad_registrations_are_refused_and_change_nothing() {
    let desk = Desk::open();
    let parcel = desk.parcel(6, 0.0);
    desk.registered(&parcel, 0.0);
    let mortgage = desk.approved(MORTGAGE, &[&parcel]);
    let transfer = desk.approved(TRANSFER, &[&parcel]);
    let before = desk.app.row_counts();
    let cases: Vec<(&str, i64, Value, u16, &str)> = vec![
        ("no mortgagee", mortgage, json!({"legal_basis": "NĐ 99/2022", "reference_no": "HĐ-1"}), 422, "/counterparty"),
        (
            "blank basis",
            mortgage,
            json!({"legal_basis": " ", "counterparty": "NH", "reference_no": "HĐ-1"}),
            422,
            "/legal_basis",
        ),
        (
            "negative amount",
            mortgage,
            json!({"legal_basis": "NĐ 99", "counterparty": "NH", "reference_no": "HĐ-1", "secured_amount": -5}),
            422,
            "/secured_amount",
        ),
        (
            "wrong kind",
            mortgage,
            json!({"kind": "seizure", "legal_basis": "x", "counterparty": "NH", "reference_no": "1"}),
            422,
            "/kind",
        ),
        ("unknown kind", mortgage, json!({"kind": "lien", "legal_basis": "x"}), 422, "/kind"),
        (
            "not a register procedure",
            transfer,
            json!({"legal_basis": "x", "counterparty": "NH", "reference_no": "1"}),
            409,
            "",
        ),
    ];
    for (what, dossier, body, status, pointer) in cases {
        let (got, problem) = desk.post(&desk.approver, &format!("/dossiers/{dossier}/restrictions"), body);
        assert_eq!(got, status, "{what}: {problem}");
        if !pointer.is_empty() {
            assert!(problem["errors"].as_array().unwrap().iter().any(|e| e["pointer"] == pointer), "{what}: {problem}");
        }
    }
    // The officer may not register; an unknown dossier is 404.
    let body = json!({"legal_basis": "NĐ 99", "counterparty": "NH", "reference_no": "HĐ-1"});
    assert_eq!(desk.post(&desk.officer, &format!("/dossiers/{mortgage}/restrictions"), body.clone()).0, 403);
    assert_eq!(desk.post(&desk.approver, "/dossiers/999999/restrictions", body.clone()).0, 404);
    assert_eq!(desk.app.row_counts(), before, "refusals write nothing");
    // Registered once; a second time is a conflict.
    assert_eq!(desk.post(&desk.approver, &format!("/dossiers/{mortgage}/restrictions"), body.clone()).0, 201);
    assert_eq!(desk.post(&desk.approver, &format!("/dossiers/{mortgage}/restrictions"), body).0, 409);
}

/// The database's blocking function (the triggers' backstop) and the domain's table agree on
/// every kind of record and every procedure in the catalogue.
#[test]
fn the_database_and_the_domain_read_the_blocking_table_alike() {
    let app = TestApp::spawn();
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/restriction-blocks.csv")).unwrap();
    let table = BlockingTable::parse_csv(&text).unwrap();
    assert_eq!(scalar(&app, "SELECT count(*) AS n FROM restriction_blocks"), table.rules.len() as i64);
    // One record of every kind on one sample parcel.
    let parcel = scalar(&app, "SELECT min(parcel_id) AS n FROM parcel_versions WHERE valid_to IS NULL");
    let mut recorded = Vec::new();
    for kind in RestrictionKind::ALL {
        let id = scalar(
            &app,
            &format!(
                "INSERT INTO rrrs (kind, parcel_id, parcel_version_id, source_document, legal_basis, counterparty, reference_no) \
                 SELECT '{kind}', parcel_id, id, 'test', 'test', 'bên', 'số 1' FROM parcel_versions \
                 WHERE parcel_id = {parcel} AND valid_to IS NULL RETURNING id AS n"
            ),
        );
        recorded
            .push(RecordedRestriction { id, kind, reference: "số 1".into(), legal_basis: None, consented: false });
    }
    #[derive(diesel::QueryableByName)]
    struct Code {
        #[diesel(sql_type = diesel::sql_types::Text)]
        code: String,
    }
    let codes: Vec<Code> =
        diesel::sql_query("SELECT code FROM procedures ORDER BY code").load(&mut app.db.conn()).unwrap();
    assert!(codes.len() > 20);
    for Code { code } in codes {
        let mut expected: Vec<i64> = table.blockers(&code, None, &recorded).iter().map(|b| b.restriction.id).collect();
        expected.sort();
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            rrr_id: i64,
        }
        let got: Vec<Id> = diesel::sql_query(format!(
            "SELECT rrr_id FROM restriction_blockers({parcel}, '{code}', NULL) ORDER BY rrr_id"
        ))
        .load(&mut app.db.conn())
        .unwrap();
        assert_eq!(got.iter().map(|i| i.rrr_id).collect::<Vec<_>>(), expected, "procedure {code}");
    }
}

/// The attack: the service's own database login writes a certificate or a mortgage for a
/// dossier on seized land straight into the tables, skipping every check in code. The
/// database refuses both.
#[test]
fn the_database_refuses_writes_that_walk_around_a_blocking_restriction() {
    let desk = Desk::open();
    let parcel = desk.parcel(7, 0.0);
    desk.seize(&parcel);
    let first = desk.approved(FIRST_REGISTRATION, &[&parcel]);
    let mortgage = desk.approved(MORTGAGE, &[&parcel]);
    let mut service = PgConnection::establish(&desk.app.db.service_url).unwrap();
    let pid = scalar(&desk.app, &format!("SELECT id AS n FROM parcels WHERE national_id = '{parcel}'"));
    let right = scalar_on(
        &mut service,
        &format!(
            "INSERT INTO rrrs (kind, parcel_id, parcel_version_id, use_form, source_document) \
             SELECT 'use_right', parcel_id, id, 'sole', 'x' FROM parcel_versions WHERE parcel_id = {pid} AND valid_to IS NULL RETURNING id AS n"
        ),
    );
    let certificate = format!(
        "INSERT INTO certificates (serial, registry_no, registry_year, province_code, rrr_id, issued_on, issuing_authority, dossier_id) \
         VALUES ('RS00000039', 'CS 09999', 2026, '92', {right}, '2026-11-27', 'x', {first})"
    );
    let err = diesel::sql_query(&certificate).execute(&mut service).unwrap_err().to_string();
    assert!(err.contains("R7.2") && err.contains("seizure"), "{err}");
    let lien = format!(
        "INSERT INTO rrrs (kind, parcel_id, parcel_version_id, source_document, legal_basis, counterparty, reference_no, registered_dossier_id) \
         SELECT 'mortgage', parcel_id, id, 'x', 'x', 'NH', 'HĐ', {mortgage} FROM parcel_versions WHERE parcel_id = {pid} AND valid_to IS NULL"
    );
    let err = diesel::sql_query(&lien).execute(&mut service).unwrap_err().to_string();
    assert!(err.contains("R7.2"), "{err}");
}
