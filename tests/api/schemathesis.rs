//! Schemathesis (property-based API testing from the OpenAPI document) against the real
//! server: every check, a fixed seed, a bounded number of examples per operation, a staff
//! token. The document must describe every status, body and parameter the server really
//! produces, and the server must refuse what the document says is invalid.
//! `make test` installs schemathesis into var/venv (scripts/prereqs.sh) and puts it on PATH.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{repo_dir, TestApp};

/// Fixed, so a failure reproduces with the same cases.
const SEED: &str = "20251123";
/// Per operation and phase; enough to reach every status class, small enough for two cores.
const MAX_EXAMPLES: &str = "10";
/// The whole run is refused (and the test fails) past this.
const WALL_CLOCK: Duration = Duration::from_secs(300);

fn schemathesis() -> std::path::PathBuf {
    let venv = repo_dir().join("var/venv/bin/schemathesis");
    if venv.is_file() {
        venv
    } else {
        "schemathesis".into()
    }
}

#[test]
fn the_server_keeps_its_openapi_contract() {
    let app = TestApp::spawn();
    // The admin reaches every staff operation in every province, so generated requests get past
    // authorisation to validation and the use cases.
    let token = app.token("admin");
    // Hypothesis keeps an example database and schemathesis may look for a config file in the
    // working directory: both stay out of the repository.
    let work = std::env::temp_dir().join(format!("diachinh-schemathesis-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    // Every check but one. `positive_data_acceptance` wants every schema-valid request accepted,
    // but the contract (DESIGN.md, and OGC API – Features /req/core/query-param-invalid) answers
    // 400/422 for requests that are well-formed yet break a rule JSON Schema cannot state:
    // cross-parameter rules (bbox corners in order, `from` ≤ `to`, a tile column below 2^z,
    // `bbox-crs` only with `bbox`), rules about the data (the commune exists, the polygon is
    // valid and overlaps no parcel, the dossier's state allows the action) and the item id
    // whose form depends on the collection. Path and query parameters carry patterns, ranges
    // and enums, so what the document can say, it says.
    let mut child = Command::new(schemathesis())
        .current_dir(&work)
        .env("NO_COLOR", "1")
        .args(["run", &app.url("/api"), "--url", &app.base])
        .args([
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
            "--seed",
            SEED,
            "--max-examples",
            MAX_EXAMPLES,
            "--generation-deterministic",
        ])
        .args(["--workers", "1", "--request-timeout", "60"])
        .args(["--phases", "examples,coverage,fuzzing", "--suppress-health-check", "all", "--no-color"])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        // Logging out would revoke the run's own token and leave every later operation at 401
        // (tests/api/sign_in.rs covers logout).
        .args(["--exclude-path", "/auth/logout"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run schemathesis (make prereqs installs it into var/venv): {e}"));
    // Drain the pipes on threads so a chatty run cannot block on a full pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > WALL_CLOCK {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    let _ = std::fs::remove_dir_all(&work);
    match status {
        None => panic!("schemathesis ran past {WALL_CLOCK:?}\n{out}\n{err}"),
        Some(s) => assert!(s.success(), "schemathesis found failures ({s})\n{out}\n{err}"),
    }
    // The summary (operations, phases, cases), for `--no-capture` runs.
    if let Some(at) = out.find("SUMMARY") {
        eprintln!("{}", &out[at..]);
    }
}
