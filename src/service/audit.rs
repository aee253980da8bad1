//! Verifying the audit chain (recomputed in Rust, see `domain::audit`) and sealing its head
//! outside the database, so that removing the newest entries is noticed.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use ed25519_dalek::SigningKey;
use serde::Serialize;

use domain::audit::Seal;
use store::audit::{self as db, Verdict};

use super::{Actor, DbContext, Error};

/// What went wrong first.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditBadEntryView {
    /// The first bad entry (for a missing tail: the first missing id).
    pub id: i64,
    /// What is wrong: hash mismatch, broken link, gap, missing tail, seal or head mismatch.
    pub problem: String,
    /// The problem's kind: `hash_mismatch`, `broken_link`, `gap`, `missing_tail`,
    /// `seal_mismatch` or `head_mismatch`.
    pub kind: String,
}

/// The result of recomputing the chain.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditVerificationView {
    /// Every entry verified and the chain reaches its recorded head (and the seal, if checked).
    pub ok: bool,
    /// Entries verified (before the first bad one, when there is one).
    pub entries: u64,
    /// The last entry of the verified chain; null when the log is empty or broken.
    pub head_id: Option<i64>,
    /// Its hash (hex).
    pub head_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_bad: Option<AuditBadEntryView>,
}

fn view(verdict: Verdict) -> AuditVerificationView {
    match verdict {
        Verdict::Intact(v) => AuditVerificationView {
            ok: true,
            entries: v.entries,
            head_id: v.head.as_ref().map(|h| h.id),
            head_hash: v.head.as_ref().map(|h| hex::encode(h.hash)),
            first_bad: None,
        },
        Verdict::Broken { bad, verified } => {
            let kind = serde_json::to_value(&bad.problem)
                .ok()
                .and_then(|v| v["kind"].as_str().map(str::to_string))
                .unwrap_or_default();
            AuditVerificationView {
                ok: false,
                entries: verified,
                head_id: None,
                head_hash: None,
                first_bad: Some(AuditBadEntryView { id: bad.id, problem: bad.problem.to_string(), kind }),
            }
        }
    }
}

/// Recomputes the chain and checks it against the head recorded in the database (admins).
pub fn verify(conn: &mut PgConnection, actor: &Actor) -> Result<AuditVerificationView, Error> {
    super::authz::authorize_role(actor, super::authz::Action::AuditVerify)?;
    Ok(view(db::verify(conn, None).context_db("verifying the audit chain")?))
}

/// The newest seal that was checked, with the verification.
#[derive(Debug, Clone)]
pub struct SealedVerification {
    pub verification: AuditVerificationView,
    /// The seal file and what it sealed; None when there is no seal yet.
    pub seal: Option<(PathBuf, Seal)>,
}

fn seal_key(key_dir: &Path) -> Result<SigningKey, Error> {
    let seed = db::seal_seed(key_dir)
        .map_err(|e| anyhow::anyhow!("while reading the audit sealing key under {}: {e}", key_dir.display()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Recomputes the chain and checks that the newest seal under `seal_dir` is genuine (signed with
/// `{key_dir}/audit.ed25519`), that its entry still exists with the sealed hash, and that the
/// chain continues from it. A seal whose signature fails is an error, not a verdict.
pub fn verify_sealed(conn: &mut PgConnection, key_dir: &Path, seal_dir: &Path) -> Result<SealedVerification, Error> {
    let newest = db::newest_seal(seal_dir)
        .map_err(|e| anyhow::anyhow!("while reading the seals under {}: {e}", seal_dir.display()))?;
    let sealed = match &newest {
        None => None,
        Some((path, seal)) => {
            let key = seal_key(key_dir)?.verifying_key();
            Some(
                domain::audit::check_seal(seal, &key)
                    .map_err(|e| anyhow::anyhow!("the seal {} does not check: {e}", path.display()))?,
            )
        }
    };
    let verdict = db::verify(conn, sealed).context_db("verifying the audit chain")?;
    Ok(SealedVerification { verification: view(verdict), seal: newest })
}

/// Verifies the chain, then seals its head: signs (head id, hash, entries, `now`) with the
/// sealing key and writes it as a new file under `seal_dir`. A broken chain is not sealed.
pub fn seal(
    conn: &mut PgConnection,
    key_dir: &Path,
    seal_dir: &Path,
    now: DateTime<Utc>,
) -> Result<(PathBuf, Seal), Error> {
    let checked = verify_sealed(conn, key_dir, seal_dir)?;
    let v = &checked.verification;
    if let Some(bad) = &v.first_bad {
        return Err(Error::Conflict {
            message: format!("the audit chain is broken at entry {}: {}; not sealed", bad.id, bad.problem),
            errors: vec![],
        });
    }
    let (Some(id), Some(hash)) = (v.head_id, v.head_hash.as_deref()) else {
        return Err(Error::Conflict { message: "the audit log is empty; nothing to seal".into(), errors: vec![] });
    };
    let hash: [u8; 32] = hex::decode(hash).ok().and_then(|b| b.try_into().ok()).expect("a verified head hash");
    let seal = domain::audit::seal(&domain::audit::Head { id, hash }, v.entries, now, &seal_key(key_dir)?);
    let path = db::write_seal(seal_dir, &seal)
        .map_err(|e| anyhow::anyhow!("while writing the seal under {}: {e}", seal_dir.display()))?;
    Ok((path, seal))
}
