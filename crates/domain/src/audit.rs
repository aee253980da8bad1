//! The audit chain's rules: the canonical encoding of an entry (format 2), the chain check that
//! recomputes every hash, and the signed seal of the chain head kept outside the database.
//!
//! The database trigger (`audit_entry_hash_v2` in migration 2026-11-27-000010) computes the same
//! hash when it appends; this module recomputes it independently, so a row edited behind the
//! trigger's back, a removed entry or a re-ordered chain shows up.
//!
//! Encoding, format 2: `sha256("diachinh-audit-v2;" ‖ f(prev_hash) ‖ f(id) ‖ f(at) ‖ f(actor_id)
//! ‖ f(actor) ‖ f(action) ‖ f(entity) ‖ f(entity_id) ‖ f(before) ‖ f(after))` where a field
//! `f(NULL)` is `N;` and `f(text)` is `<byte length in decimal>:<UTF-8 bytes>;`. A length starts
//! with a digit, so NULL, `""` (`0:;`) and `"N"` (`1:N;`) differ and no field runs into the
//! next. `prev_hash` is lowercase hex; `id` and `actor_id` decimal; `at` is UTC,
//! `YYYY-MM-DDTHH:MM:SS.ffffffZ` (microseconds, PostgreSQL's precision); `before`/`after` are
//! the text PostgreSQL prints for the stored jsonb (`before::text`). That text is a function of
//! the jsonb value alone — object keys sorted by length then bytes, duplicates dropped, `", "` and
//! `": "` separators, numbers as `numeric` prints them — which is what the hash relies on; the
//! verifier reads it from the database rather than re-serialising, since serde_json would print
//! some numbers (`1.50`) and key orders differently.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The format tag hashed first; a new encoding gets a new tag.
pub const FORMAT_TAG: &str = "diachinh-audit-v2;";

/// An entry's columns as they take part in the hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<'a> {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i32>,
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    /// jsonb's text of `before` (`before::text`), `None` for SQL NULL.
    pub before: Option<&'a str>,
    /// jsonb's text of `after`, `None` for SQL NULL.
    pub after: Option<&'a str>,
}

/// `at` as hashed: UTC, microseconds, fixed width.
pub fn format_at(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn field(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        None => out.extend_from_slice(b"N;"),
        Some(v) => {
            out.extend_from_slice(v.len().to_string().as_bytes());
            out.push(b':');
            out.extend_from_slice(v.as_bytes());
            out.push(b';');
        }
    }
}

/// The bytes that are hashed for an entry linked to `prev_hash` (`None` for the first entry).
pub fn canonical_bytes(prev_hash: Option<&[u8]>, e: &Entry) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(FORMAT_TAG.as_bytes());
    field(&mut out, prev_hash.map(hex::encode).as_deref());
    field(&mut out, Some(&e.id.to_string()));
    field(&mut out, Some(&format_at(&e.at)));
    field(&mut out, e.actor_id.map(|a| a.to_string()).as_deref());
    field(&mut out, Some(e.actor));
    field(&mut out, Some(e.action));
    field(&mut out, Some(e.entity));
    field(&mut out, Some(e.entity_id));
    field(&mut out, e.before);
    field(&mut out, e.after);
    out
}

/// The entry's hash (format 2).
pub fn entry_hash(prev_hash: Option<&[u8]>, e: &Entry) -> [u8; 32] {
    Sha256::digest(canonical_bytes(prev_hash, e)).into()
}

/// What is wrong with an entry (or where the chain stops short).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// The stored hash is not the hash of the entry's columns: the entry was edited.
    HashMismatch { stored: String, computed: String },
    /// The entry's `prev_hash` is not the hash of the entry before it: an entry was removed,
    /// inserted or re-ordered.
    BrokenLink { expected: Option<String>, found: Option<String> },
    /// Ids `from..=to` are missing where ids are dense.
    Gap { from: i64, to: i64 },
    /// The chain ends before an entry that the head (or a seal) says exists: ids `from..=to`
    /// were removed from the end.
    MissingTail { from: i64, to: i64, witness: Witness },
    /// The sealed entry is still there but with another hash: the chain was rewritten.
    SealMismatch { sealed: String, found: String },
    /// The chain head table disagrees with the last entry.
    HeadMismatch { head_id: i64, last_id: i64 },
}

/// Who says the missing tail existed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Witness {
    /// The `audit_chain_head` row in the database.
    ChainHead,
    /// A seal written outside the database.
    Seal,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::HashMismatch { stored, computed } => {
                write!(f, "hash mismatch: stored {stored}, the entry's columns hash to {computed}")
            }
            Problem::BrokenLink { expected, found } => write!(
                f,
                "broken link: prev_hash is {}, the previous entry's hash is {}",
                found.as_deref().unwrap_or("NULL"),
                expected.as_deref().unwrap_or("NULL (no previous entry)")
            ),
            Problem::Gap { from, to } => write!(f, "gap: entries {from}..={to} are missing"),
            Problem::MissingTail { from, to, witness } => {
                let who = match witness {
                    Witness::ChainHead => "the chain head",
                    Witness::Seal => "the newest seal",
                };
                write!(f, "missing tail: entries {from}..={to} are gone ({who} records entry {to})")
            }
            Problem::SealMismatch { sealed, found } => {
                write!(f, "seal mismatch: sealed hash {sealed}, the chain now has {found}")
            }
            Problem::HeadMismatch { head_id, last_id } => {
                write!(f, "head mismatch: the chain head records entry {head_id}, the last entry is {last_id}")
            }
        }
    }
}

/// The first bad entry found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadEntry {
    pub id: i64,
    pub problem: Problem,
}

impl std::fmt::Display for BadEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "entry {}: {}", self.id, self.problem)
    }
}

/// The last entry of a verified chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub id: i64,
    pub hash: [u8; 32],
}

/// The database's record of the head (`audit_chain_head`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedHead {
    pub last_id: i64,
    pub last_hash: Option<Vec<u8>>,
    /// Ids up to here predate format 2 and may have gaps.
    pub dense_after: i64,
}

/// Checks a chain fed entry by entry in id order; keeps only the previous entry.
#[derive(Debug, Clone)]
pub struct ChainCheck {
    dense_after: i64,
    expect: Option<(i64, [u8; 32])>,
    expect_seen: bool,
    entries: u64,
    last: Option<Head>,
}

impl ChainCheck {
    /// `dense_after`: ids above it must be consecutive. `sealed`: an entry (id, hash) that must
    /// be in the chain with that hash.
    pub fn new(dense_after: i64, sealed: Option<(i64, [u8; 32])>) -> ChainCheck {
        ChainCheck { dense_after, expect: sealed, expect_seen: false, entries: 0, last: None }
    }

    /// Entries checked so far.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// The next entry in id order, with the links stored in its row.
    pub fn push(&mut self, e: &Entry, stored_prev: Option<&[u8]>, stored_hash: &[u8]) -> Result<(), BadEntry> {
        let bad = |problem| Err(BadEntry { id: e.id, problem });
        let prev = self.last.as_ref();
        let expected = prev.map(|p| p.id).unwrap_or(0) + 1;
        if e.id > expected {
            // Missing ids matter only where ids are dense (assigned by the format-2 trigger).
            let from = expected.max(self.dense_after + 1);
            if from < e.id {
                return bad(Problem::Gap { from, to: e.id - 1 });
            }
        }
        let prev_hash = prev.map(|p| p.hash);
        if stored_prev != prev_hash.as_ref().map(|h| h.as_slice()) {
            return bad(Problem::BrokenLink {
                expected: prev_hash.map(hex::encode),
                found: stored_prev.map(hex::encode),
            });
        }
        let computed = entry_hash(prev_hash.as_ref().map(|h| h.as_slice()), e);
        if stored_hash != computed {
            return bad(Problem::HashMismatch { stored: hex::encode(stored_hash), computed: hex::encode(computed) });
        }
        if let Some((id, hash)) = self.expect {
            if id == e.id {
                if hash != computed {
                    return bad(Problem::SealMismatch { sealed: hex::encode(hash), found: hex::encode(computed) });
                }
                self.expect_seen = true;
            }
        }
        self.entries += 1;
        self.last = Some(Head { id: e.id, hash: computed });
        Ok(())
    }

    /// After the last entry: does the chain reach the sealed entry and the recorded head?
    pub fn finish(self, recorded: Option<&RecordedHead>) -> Result<(u64, Option<Head>), BadEntry> {
        let last_id = self.last.as_ref().map(|h| h.id).unwrap_or(0);
        if let Some((id, _)) = self.expect {
            if !self.expect_seen {
                let problem = if id > last_id {
                    Problem::MissingTail { from: last_id + 1, to: id, witness: Witness::Seal }
                } else {
                    Problem::Gap { from: id, to: id }
                };
                return Err(BadEntry { id: if id > last_id { last_id + 1 } else { id }, problem });
            }
        }
        if let Some(head) = recorded {
            let last_hash = self.last.as_ref().map(|h| h.hash.to_vec());
            if head.last_id > last_id {
                return Err(BadEntry {
                    id: last_id + 1,
                    problem: Problem::MissingTail { from: last_id + 1, to: head.last_id, witness: Witness::ChainHead },
                });
            }
            if head.last_id != last_id || head.last_hash != last_hash {
                return Err(BadEntry {
                    id: last_id,
                    problem: Problem::HeadMismatch { head_id: head.last_id, last_id },
                });
            }
        }
        Ok((self.entries, self.last))
    }
}

/// The format of a seal file.
pub const SEAL_FORMAT: &str = "diachinh-audit-seal-v1";

/// A signed statement "the audit chain had this head at this time", kept outside the database
/// (one JSON file per seal), so that removing the newest entries and rewinding the head table
/// is still noticed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    pub format: String,
    pub head_id: i64,
    /// Lowercase hex of the head's hash.
    pub head_hash: String,
    /// Entries in the chain up to the head.
    pub entries: u64,
    /// UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    pub sealed_at: String,
    /// `audit-` + the first 8 hex digits of SHA-256 of the public key.
    pub key_id: String,
    /// Hex of the Ed25519 public key.
    pub public_key: String,
    /// base64url (no padding) of the Ed25519 signature over [`seal_message`].
    pub signature: String,
}

/// The signed bytes: one line per field, in a fixed order.
pub fn seal_message(head_id: i64, head_hash_hex: &str, entries: u64, sealed_at: &str) -> String {
    format!("{SEAL_FORMAT}\nhead_id={head_id}\nhead_hash={head_hash_hex}\nentries={entries}\nsealed_at={sealed_at}\n")
}

/// Key id of the sealing key.
pub fn seal_key_id(key: &VerifyingKey) -> String {
    format!("audit-{}", &hex::encode(Sha256::digest(key.as_bytes()))[..8])
}

/// Seals a head; `now` is the caller's clock.
pub fn seal(head: &Head, entries: u64, now: DateTime<Utc>, key: &SigningKey) -> Seal {
    let head_hash = hex::encode(head.hash);
    let sealed_at = format_at(&now);
    let message = seal_message(head.id, &head_hash, entries, &sealed_at);
    let public = key.verifying_key();
    Seal {
        format: SEAL_FORMAT.to_string(),
        head_id: head.id,
        head_hash,
        entries,
        sealed_at,
        key_id: seal_key_id(&public),
        public_key: hex::encode(public.as_bytes()),
        signature: URL_SAFE_NO_PAD.encode(key.sign(message.as_bytes()).to_bytes()),
    }
}

/// Checks a seal's signature with the sealing key (the one from the key file, not the one the
/// seal names: a forged seal would name its own) and returns the sealed (id, hash).
pub fn check_seal(seal: &Seal, key: &VerifyingKey) -> Result<(i64, [u8; 32]), String> {
    if seal.format != SEAL_FORMAT {
        return Err(format!("unknown seal format {:?}", seal.format));
    }
    if seal.public_key != hex::encode(key.as_bytes()) {
        return Err(format!("sealed with key {}, not with this installation's key {}", seal.key_id, seal_key_id(key)));
    }
    let signature = URL_SAFE_NO_PAD
        .decode(&seal.signature)
        .ok()
        .and_then(|b| Signature::from_slice(&b).ok())
        .ok_or("the signature is not base64url Ed25519")?;
    let message = seal_message(seal.head_id, &seal.head_hash, seal.entries, &seal.sealed_at);
    key.verify(message.as_bytes(), &signature).map_err(|_| "the signature does not match the seal".to_string())?;
    let hash: [u8; 32] = hex::decode(&seal.head_hash)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("the sealed hash is not 32 bytes of hex")?;
    Ok((seal.head_id, hash))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn entry<'a>(id: i64, before: Option<&'a str>, after: Option<&'a str>) -> Entry<'a> {
        Entry {
            id,
            at: Utc.with_ymd_and_hms(2026, 11, 27, 3, 4, 5).unwrap() + chrono::Duration::microseconds(42),
            actor_id: Some(7),
            actor: "officer92",
            action: "parcel.update",
            entity: "parcel",
            entity_id: "92-1",
            before,
            after,
        }
    }

    #[test]
    fn the_encoding_is_length_prefixed_with_explicit_nulls() {
        let e = entry(3, None, Some("{\"a\": 1}"));
        let bytes = String::from_utf8(canonical_bytes(Some(&[0xab; 2]), &e)).unwrap();
        assert_eq!(
            bytes,
            "diachinh-audit-v2;4:abab;1:3;27:2026-11-27T03:04:05.000042Z;1:7;9:officer92;13:parcel.update;6:parcel;4:92-1;N;8:{\"a\": 1};"
        );
    }

    #[test]
    fn null_and_empty_differ() {
        let null = entry(1, None, None);
        let empty = entry(1, Some(""), None);
        assert_ne!(entry_hash(None, &null), entry_hash(None, &empty));
        let no_actor = Entry { actor_id: None, ..entry(1, None, None) };
        assert_ne!(entry_hash(None, &null), entry_hash(None, &no_actor));
        // A JSON null is not SQL NULL either.
        assert_ne!(entry_hash(None, &null), entry_hash(None, &entry(1, Some("null"), None)));
    }

    #[test]
    fn swapped_before_and_after_differ() {
        let a = entry(1, Some("{\"x\": 1}"), None);
        let b = entry(1, None, Some("{\"x\": 1}"));
        assert_ne!(entry_hash(None, &a), entry_hash(None, &b));
        let c = entry(1, Some("1"), Some("2"));
        let d = entry(1, Some("2"), Some("1"));
        assert_ne!(entry_hash(None, &c), entry_hash(None, &d));
    }

    #[test]
    fn fields_cannot_shift() {
        let a = Entry { actor: "ab", action: "c", ..entry(1, None, None) };
        let b = Entry { actor: "a", action: "bc", ..entry(1, None, None) };
        assert_ne!(entry_hash(None, &a), entry_hash(None, &b));
        // Byte length, not characters: Vietnamese text is multi-byte.
        let v = Entry { actor: "Nguyễn", ..entry(1, None, None) };
        let bytes = canonical_bytes(None, &v);
        assert!(String::from_utf8(bytes).unwrap().contains(";8:Nguyễn;"));
    }

    #[test]
    fn every_field_and_the_link_count() {
        let base = entry(5, Some("1"), Some("2"));
        let h = entry_hash(Some(&[1; 32]), &base);
        assert_ne!(h, entry_hash(Some(&[2; 32]), &base));
        assert_ne!(h, entry_hash(None, &base));
        assert_ne!(h, entry_hash(Some(&[1; 32]), &Entry { id: 6, ..base.clone() }));
        assert_ne!(
            h,
            entry_hash(Some(&[1; 32]), &Entry { at: base.at + chrono::Duration::microseconds(1), ..base.clone() })
        );
        assert_ne!(h, entry_hash(Some(&[1; 32]), &Entry { actor_id: Some(8), ..base.clone() }));
        assert_ne!(h, entry_hash(Some(&[1; 32]), &Entry { entity_id: "92-2", ..base.clone() }));
    }

    /// A row: (entry, prev_hash, hash).
    type Row<'a> = (Entry<'a>, Option<[u8; 32]>, [u8; 32]);

    /// A chain of `n` entries as rows.
    fn chain(n: i64) -> Vec<Row<'static>> {
        let mut out = Vec::new();
        let mut prev: Option<[u8; 32]> = None;
        for id in 1..=n {
            let e = entry(id, None, Some("{}"));
            let h = entry_hash(prev.as_ref().map(|p| p.as_slice()), &e);
            out.push((e, prev, h));
            prev = Some(h);
        }
        out
    }

    fn check(rows: &[Row], sealed: Option<(i64, [u8; 32])>) -> Result<u64, BadEntry> {
        let mut c = ChainCheck::new(0, sealed);
        for (e, p, h) in rows {
            c.push(e, p.as_ref().map(|p| p.as_slice()), h)?;
        }
        c.finish(None).map(|(n, _)| n)
    }

    #[test]
    fn a_chain_verifies_and_tampering_names_the_entry() {
        let rows = chain(5);
        assert_eq!(check(&rows, None), Ok(5));
        let mut edited = rows.clone();
        edited[2].0.after = Some("{\"x\": 1}");
        let bad = check(&edited, None).unwrap_err();
        assert_eq!(bad.id, 3);
        assert!(matches!(bad.problem, Problem::HashMismatch { .. }), "{bad}");
        let mut removed = rows.clone();
        removed.remove(2);
        let bad = check(&removed, None).unwrap_err();
        assert_eq!((bad.id, bad.problem.clone()), (4, Problem::Gap { from: 3, to: 3 }), "{bad}");
        let mut swapped = rows.clone();
        swapped.swap(1, 2);
        assert_eq!(check(&swapped, None).unwrap_err().id, 3);
    }

    #[test]
    fn gaps_before_dense_after_are_allowed() {
        let mut rows = chain(5);
        rows.remove(1); // id 2 never existed (a rolled-back transaction before format 2)
        let h1 = rows[0].2;
        rows[1].1 = Some(h1);
        rows[1].2 = entry_hash(Some(&h1), &rows[1].0);
        let mut prev = rows[1].2;
        for r in rows.iter_mut().skip(2) {
            r.1 = Some(prev);
            r.2 = entry_hash(Some(&prev), &r.0);
            prev = r.2;
        }
        let mut c = ChainCheck::new(3, None);
        for (e, p, h) in &rows {
            c.push(e, p.as_ref().map(|p| p.as_slice()), h).unwrap();
        }
        assert_eq!(c.finish(None).unwrap().0, 4);
        assert_eq!(check(&rows, None).unwrap_err().problem, Problem::Gap { from: 2, to: 2 });
    }

    #[test]
    fn seals_and_the_recorded_head_catch_a_removed_tail() {
        let rows = chain(6);
        let sealed = Some((6, rows[5].2));
        assert_eq!(check(&rows, sealed), Ok(6));
        let bad = check(&rows[..4], sealed).unwrap_err();
        assert_eq!(bad, BadEntry { id: 5, problem: Problem::MissingTail { from: 5, to: 6, witness: Witness::Seal } });
        let mut c = ChainCheck::new(0, None);
        for (e, p, h) in &rows[..4] {
            c.push(e, p.as_ref().map(|p| p.as_slice()), h).unwrap();
        }
        let head = RecordedHead { last_id: 6, last_hash: Some(rows[5].2.to_vec()), dense_after: 0 };
        assert_eq!(c.finish(Some(&head)).unwrap_err().id, 5);
    }

    #[test]
    fn seal_signatures_check() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let head = Head { id: 42, hash: [7; 32] };
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0).unwrap();
        let s = seal(&head, 40, now, &key);
        assert_eq!(check_seal(&s, &key.verifying_key()), Ok((42, [7; 32])));
        let forged = Seal { head_id: 41, ..s.clone() };
        assert!(check_seal(&forged, &key.verifying_key()).is_err());
        let other = SigningKey::from_bytes(&[8; 32]);
        assert!(check_seal(&seal(&head, 40, now, &other), &key.verifying_key()).is_err());
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Seal>(&text).unwrap(), s);
    }
}
