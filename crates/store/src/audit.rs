//! The append-only, hash-chained audit log (the chain itself is kept by a trigger).

use diesel::prelude::*;
use diesel::sql_types::{Integer, Jsonb, Nullable, Text};

/// One audited write.
pub struct AuditEntry<'a> {
    pub actor_id: Option<i32>,
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Appends an entry; call it inside the transaction of the write it records.
pub fn append(conn: &mut PgConnection, e: AuditEntry) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO audit_log (actor_id, actor, action, entity, entity_id, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind::<Nullable<Integer>, _>(e.actor_id)
    .bind::<Text, _>(e.actor)
    .bind::<Text, _>(e.action)
    .bind::<Text, _>(e.entity)
    .bind::<Text, _>(e.entity_id)
    .bind::<Nullable<Jsonb>, _>(e.before)
    .bind::<Nullable<Jsonb>, _>(e.after)
    .execute(conn)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Verification: the chain recomputed in Rust (`domain::audit`), independently of the trigger.

use diesel::sql_types::{BigInt, Bytea, Timestamptz};
use domain::audit::{BadEntry, ChainCheck, Entry, Head, RecordedHead, Seal};

/// Entries read per query while verifying.
pub const VERIFY_BATCH: i64 = 2_000;

#[derive(QueryableByName)]
struct ChainRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Timestamptz)]
    at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = Nullable<Integer>)]
    actor_id: Option<i32>,
    #[diesel(sql_type = Text)]
    actor: String,
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = Text)]
    entity: String,
    #[diesel(sql_type = Text)]
    entity_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    before: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    after: Option<String>,
    #[diesel(sql_type = Nullable<Bytea>)]
    prev_hash: Option<Vec<u8>>,
    #[diesel(sql_type = Bytea)]
    hash: Vec<u8>,
}

#[derive(QueryableByName)]
struct HeadRow {
    #[diesel(sql_type = BigInt)]
    last_id: i64,
    #[diesel(sql_type = Nullable<Bytea>)]
    last_hash: Option<Vec<u8>>,
    #[diesel(sql_type = BigInt)]
    dense_after: i64,
}

/// A verified chain: how many entries, and the last one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entries: u64,
    pub head: Option<Head>,
}

/// The outcome of a verification that could read the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact(Verified),
    /// The first bad entry, and how many entries before it verified.
    Broken {
        bad: BadEntry,
        verified: u64,
    },
}

/// The database's record of the chain head.
pub fn recorded_head(conn: &mut PgConnection) -> QueryResult<RecordedHead> {
    let h: HeadRow =
        diesel::sql_query("SELECT last_id, last_hash, dense_after FROM audit_chain_head").get_result(conn)?;
    Ok(RecordedHead { last_id: h.last_id, last_hash: h.last_hash, dense_after: h.dense_after })
}

/// Streams the whole chain in id order (batches of [`VERIFY_BATCH`], one read-only snapshot)
/// and recomputes every hash and link; checks that the chain reaches the head recorded in
/// `audit_chain_head` and, when given, contains the sealed entry (id, hash).
pub fn verify(conn: &mut PgConnection, sealed: Option<(i64, [u8; 32])>) -> QueryResult<Verdict> {
    conn.build_transaction().read_only().repeatable_read().run(|conn| {
        let recorded = recorded_head(conn)?;
        let mut check = ChainCheck::new(recorded.dense_after, sealed);
        let mut after_id = 0i64;
        loop {
            let rows: Vec<ChainRow> = diesel::sql_query(
                "SELECT id, at, actor_id, actor, action, entity, entity_id, before::text AS before, \
                 after::text AS after, prev_hash, hash FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind::<BigInt, _>(after_id)
            .bind::<BigInt, _>(VERIFY_BATCH)
            .load(conn)?;
            let Some(last) = rows.last() else { break };
            after_id = last.id;
            for r in &rows {
                let e = Entry {
                    id: r.id,
                    at: r.at,
                    actor_id: r.actor_id,
                    actor: &r.actor,
                    action: &r.action,
                    entity: &r.entity,
                    entity_id: &r.entity_id,
                    before: r.before.as_deref(),
                    after: r.after.as_deref(),
                };
                if let Err(bad) = check.push(&e, r.prev_hash.as_deref(), &r.hash) {
                    return Ok(Verdict::Broken { bad, verified: check.entries() });
                }
            }
            if (rows.len() as i64) < VERIFY_BATCH {
                break;
            }
        }
        let verified = check.entries();
        Ok(match check.finish(Some(&recorded)) {
            Ok((entries, head)) => Verdict::Intact(Verified { entries, head }),
            Err(bad) => Verdict::Broken { bad, verified },
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Seals: signed heads in files outside the database, one JSON file per seal.

/// The name of the sealing key's seed file under the key directory (`{key_dir}/audit.ed25519`).
pub const SEAL_KEY_NAME: &str = "audit";

/// The sealing key's seed, created on first use (see [`crate::certificates::named_seed`]).
pub fn seal_seed(key_dir: &std::path::Path) -> std::io::Result<[u8; 32]> {
    crate::certificates::named_seed(key_dir, SEAL_KEY_NAME)
}

/// Writes a seal as `{dir}/{sealed_at}-{head_id}.json`; the directory is created 0700, the file
/// 0600 and never overwritten. Returns the file's path.
pub fn write_seal(dir: &std::path::Path, seal: &Seal) -> std::io::Result<std::path::PathBuf> {
    use std::io::Write;
    crate::certificates::create_private_dir(dir)?;
    let stamp: String = seal.sealed_at.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let path = dir.join(format!("{stamp}-{:012}.json", seal.head_id));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path)?;
    let text = serde_json::to_string_pretty(seal).map_err(std::io::Error::other)?;
    file.write_all(format!("{text}\n").as_bytes())?;
    file.sync_all()?;
    Ok(path)
}

/// The newest seal under `dir` (by `sealed_at`, then head id), if any. A `.json` file that is not
/// a seal is an error: a seal directory holds seals only.
pub fn newest_seal(dir: &std::path::Path) -> std::io::Result<Option<(std::path::PathBuf, Seal)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut newest: Option<(std::path::PathBuf, Seal)> = None;
    for entry in entries {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        let seal: Seal = serde_json::from_str(&text).map_err(|e| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{} is not a seal: {e}", path.display()))
        })?;
        let newer = match &newest {
            None => true,
            Some((_, n)) => (&seal.sealed_at, seal.head_id) > (&n.sealed_at, n.head_id),
        };
        if newer {
            newest = Some((path, seal));
        }
    }
    Ok(newest)
}
