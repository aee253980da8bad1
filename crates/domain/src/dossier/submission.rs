//! Nộp hồ sơ trực tuyến — a citizen's online submission before the desk accepts it as a dossier
//! (Decree 61/2018 Art. 17(2)–(3): the desk checks it, then accepts and gives a dossier code, or
//! tells the applicant once and fully what is wrong). The rules here are pure: what an uploaded
//! file is (by its first bytes, never by its name or declared type), the limits on uploads, the
//! secret that lets the citizen follow the submission, which catalogue rows take online
//! submissions, and the grounds on which the desk refuses one.

use sha2::{Digest, Sha256};

/// A file type the desk accepts: scanned documents and photos of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Jpeg,
    Png,
}

impl FileKind {
    /// The media type stored with the file.
    pub const fn media_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
        }
    }

    /// What the first bytes say the file is; None for anything else (whatever its name says).
    pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
        if bytes.starts_with(b"%PDF-") {
            Some(FileKind::Pdf)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileKind::Jpeg)
        } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(FileKind::Png)
        } else {
            None
        }
    }
}

/// How many files, and how large, one submission may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// Largest single file, in bytes.
    pub file_bytes: usize,
    /// Largest sum of all files, in bytes.
    pub total_bytes: usize,
    /// Most files in one submission.
    pub files: usize,
}

impl Default for UploadLimits {
    /// 10 MiB a file, 25 MiB in all, 10 files: a scanned A4 page at 300 dpi is well under 1 MiB.
    fn default() -> Self {
        UploadLimits { file_bytes: 10 * 1024 * 1024, total_bytes: 25 * 1024 * 1024, files: 10 }
    }
}

/// Hex SHA-256 of a file, kept with it (and in the audit entry when the file itself is gone).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether a catalogue row's `online_level` takes online submissions: toàn trình (`full`) and
/// một phần (`partial`) both do (Decree 42/2022 Art. 11, kept by Decree 224/2026): a partial
/// service is filed online and finished in person.
pub fn accepts_online(online_level: &str) -> bool {
    matches!(online_level, "full" | "partial")
}

/// The secret printed on the submission receipt (mã bí mật): with the submission number it opens
/// the citizen's tracking page. Twelve characters of the tracking-code alphabet (≈ 59 bits), shown
/// in groups of four; only its SHA-256 is stored.
pub mod secret {
    use super::super::tracking_code::ALPHABET;
    use sha2::{Digest, Sha256};

    /// Characters in a secret.
    pub const LEN: usize = 12;

    /// The secret spelled by random bytes, grouped "ABCD-EFGH-JKMN".
    pub fn from_bytes(bytes: [u8; LEN]) -> String {
        let chars: Vec<char> = bytes.iter().map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char).collect();
        chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
    }

    /// A secret as typed: case, spaces and hyphens ignored. None when it cannot be one.
    pub fn normalize(typed: &str) -> Option<String> {
        if typed.len() > 64 {
            return None;
        }
        let s: String = typed.chars().filter(|c| !matches!(c, ' ' | '-')).map(|c| c.to_ascii_uppercase()).collect();
        (s.len() == LEN && s.bytes().all(|b| ALPHABET.contains(&b))).then_some(s)
    }

    /// What is stored: hex SHA-256 of the normalised secret (a high-entropy random value, so a
    /// plain hash suffices — there is no password to guess).
    pub fn digest(typed: &str) -> Option<String> {
        normalize(typed).map(|s| hex::encode(Sha256::digest(s.as_bytes())))
    }

    /// Compares two digests without stopping at the first difference.
    pub fn digests_match(stored: &str, computed: &str) -> bool {
        stored.len() == computed.len()
            && stored.bytes().zip(computed.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }
}

/// Số hồ sơ trực tuyến: "TT.<province>.<yymmdd>.<sequence>", never confused with a receipt
/// number (which the dossier gets at acceptance).
pub fn submission_no(province: &str, day: chrono::NaiveDate, seq: i64) -> String {
    format!("TT.{province}.{}.{seq:05}", day.format("%y%m%d"))
}

/// Whether `text` has the shape of a submission number.
pub fn is_submission_no(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    matches!(parts.as_slice(), ["TT", p, d, s]
        if p.len() == 2 && d.len() == 6 && (5..=12).contains(&s.len())
            && [p, d, s].iter().all(|x| x.bytes().all(|b| b.is_ascii_digit())))
}

/// Where a submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionState {
    /// Đã nộp, chờ tiếp nhận: waiting for the desk.
    Submitted,
    /// Đã tiếp nhận: the desk accepted it; it is a dossier now.
    Accepted,
    /// Từ chối tiếp nhận: the desk refused it, with the grounds.
    Refused,
}

impl SubmissionState {
    pub const ALL: [SubmissionState; 3] =
        [SubmissionState::Submitted, SubmissionState::Accepted, SubmissionState::Refused];

    pub const fn as_str(self) -> &'static str {
        match self {
            SubmissionState::Submitted => "submitted",
            SubmissionState::Accepted => "accepted",
            SubmissionState::Refused => "refused",
        }
    }

    pub const fn label_vi(self) -> &'static str {
        match self {
            SubmissionState::Submitted => "Đã nộp, chờ tiếp nhận",
            SubmissionState::Accepted => "Đã tiếp nhận",
            SubmissionState::Refused => "Từ chối tiếp nhận",
        }
    }

    pub fn parse(s: &str) -> Option<SubmissionState> {
        SubmissionState::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

impl TryFrom<String> for SubmissionState {
    type Error = String;
    fn try_from(text: String) -> Result<SubmissionState, String> {
        SubmissionState::parse(&text).ok_or_else(|| format!("unknown submission state {text:?}"))
    }
}

/// Why the desk refuses an online submission (Phiếu từ chối tiếp nhận): a ground the citizen reads
/// in Vietnamese, whatever language the officer's note is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalGround {
    /// Hồ sơ chưa đầy đủ, chưa hợp lệ.
    Incomplete,
    /// Tài liệu đính kèm không đọc được.
    Illegible,
    /// Không đúng thủ tục hành chính.
    WrongProcedure,
    /// Không thuộc thẩm quyền giải quyết.
    NotCompetent,
    /// Hồ sơ đã được nộp trước đó.
    Duplicate,
    /// Lý do khác (the note says which).
    Other,
}

impl RefusalGround {
    pub const ALL: [RefusalGround; 6] = [
        RefusalGround::Incomplete,
        RefusalGround::Illegible,
        RefusalGround::WrongProcedure,
        RefusalGround::NotCompetent,
        RefusalGround::Duplicate,
        RefusalGround::Other,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            RefusalGround::Incomplete => "incomplete",
            RefusalGround::Illegible => "illegible",
            RefusalGround::WrongProcedure => "wrong_procedure",
            RefusalGround::NotCompetent => "not_competent",
            RefusalGround::Duplicate => "duplicate",
            RefusalGround::Other => "other",
        }
    }

    pub const fn label_vi(self) -> &'static str {
        match self {
            RefusalGround::Incomplete => "Hồ sơ chưa đầy đủ, chưa hợp lệ",
            RefusalGround::Illegible => "Tài liệu đính kèm không đọc được",
            RefusalGround::WrongProcedure => "Hồ sơ không đúng thủ tục hành chính đã chọn",
            RefusalGround::NotCompetent => "Không thuộc thẩm quyền giải quyết của cơ quan",
            RefusalGround::Duplicate => "Hồ sơ đã được nộp trước đó",
            RefusalGround::Other => "Lý do khác",
        }
    }

    pub fn parse(s: &str) -> Option<RefusalGround> {
        RefusalGround::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// The refusal as the citizen reads it: the ground in Vietnamese, then the officer's note.
pub fn refusal_text_vi(ground: RefusalGround, note: &str) -> String {
    format!("{}. {}", ground.label_vi(), note.trim())
}

/// An email address as typed, trimmed, or None when it cannot be one (one '@', a dot in the
/// domain, no spaces or controls, at most 254 characters). Deliverability is not checked.
pub fn normalize_email(typed: &str) -> Option<String> {
    let e = typed.trim();
    let (local, domain) = e.split_once('@')?;
    let ok = e.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && e.chars().all(|c| !c.is_whitespace() && !c.is_control());
    ok.then(|| e.to_string())
}

/// A Vietnamese phone number as typed: digits with an optional leading '+', 9–15 digits.
pub fn normalize_phone(typed: &str) -> Option<String> {
    let p: String = typed.chars().filter(|c| !matches!(c, ' ' | '.' | '-')).collect();
    let digits = p.strip_prefix('+').unwrap_or(&p);
    ((9..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_known_by_their_first_bytes_not_their_names() {
        assert_eq!(FileKind::sniff(b"%PDF-1.7\n..."), Some(FileKind::Pdf));
        assert_eq!(FileKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Some(FileKind::Jpeg));
        assert_eq!(FileKind::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(FileKind::Png));
        assert_eq!(FileKind::sniff(b"MZ\x90\0"), None, "a Windows program named scan.pdf");
        assert_eq!(FileKind::sniff(b"<html>%PDF-"), None);
        assert_eq!(FileKind::sniff(b""), None);
        assert_eq!(FileKind::sniff(b"%PDF"), None, "too short to be a PDF header");
    }

    #[test]
    fn secrets_are_typed_forgivingly_and_only_their_hash_is_kept() {
        let s = secret::from_bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 30, 255]);
        assert_eq!(s.len(), 14);
        assert_eq!(s.matches('-').count(), 2);
        let digest = secret::digest(&s).unwrap();
        assert_eq!(digest.len(), 64);
        assert_eq!(secret::digest(&s.to_lowercase().replace('-', " ")).as_deref(), Some(digest.as_str()));
        assert!(secret::digests_match(&digest, &secret::digest(&s).unwrap()));
        assert!(!secret::digests_match(&digest, &secret::digest("2222-2222-2222").unwrap()));
        assert_eq!(secret::normalize("ABCD-EFGH-JKM"), None);
        assert_eq!(secret::normalize("ABCD-EFGH-JKMO"), None, "O is not in the alphabet");
        assert_eq!(secret::normalize(&"A".repeat(100)), None);
    }

    #[test]
    fn submission_numbers_have_their_own_shape() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let no = submission_no("92", day, 42);
        assert_eq!(no, "TT.92.261127.00042");
        assert!(is_submission_no(&no));
        assert!(!is_submission_no("92.261127.0001"), "a receipt number is not a submission number");
        assert!(!is_submission_no("TT.9.261127.00042"));
        assert!(!is_submission_no("TT.92.261127.0004x"));
    }

    #[test]
    fn online_levels_and_refusals() {
        assert!(accepts_online("full") && accepts_online("partial") && !accepts_online("none"));
        for g in RefusalGround::ALL {
            assert_eq!(RefusalGround::parse(g.as_str()), Some(g));
        }
        let text = refusal_text_vi(RefusalGround::Illegible, " Ảnh chụp bị mờ. ");
        assert_eq!(text, "Tài liệu đính kèm không đọc được. Ảnh chụp bị mờ.");
        for s in SubmissionState::ALL {
            assert_eq!(SubmissionState::try_from(s.as_str().to_string()), Ok(s));
        }
    }

    #[test]
    fn contacts() {
        assert_eq!(normalize_email(" an.nguyen@example.vn ").as_deref(), Some("an.nguyen@example.vn"));
        assert_eq!(normalize_email("an@localhost"), None);
        assert_eq!(normalize_email("a b@example.vn"), None);
        assert_eq!(normalize_email("a@b@example.vn"), None);
        assert_eq!(normalize_phone("0912 345 678").as_deref(), Some("0912345678"));
        assert_eq!(normalize_phone("+84 912.345.678").as_deref(), Some("+84912345678"));
        assert_eq!(normalize_phone("12345"), None);
    }
}
