//! Giấy chứng nhận (GCN) — the certificate's pure rules: serials and blank stock (phôi), holders
//! and their shares, the content printed on the certificate (Circular 10/2024/TT-BTNMT), its
//! canonical form, the endorsements entered after issue, the Ed25519 seal over the content and
//! the QR payload: a short signed reference (serial, content hash, key id, signature, see
//! [`qr`]) that anyone holding the office's public key and the content can check offline.
//!
//! No clock, no database, no files: keys, dates and parcel data are handed in.

pub mod print;
pub mod qr;

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Digits of a current serial (số phát hành): blanks from 2025 carry 2 letters + 8 digits.
pub const SERIAL_DIGITS: usize = 8;
/// Largest number a serial can carry.
pub const MAX_SERIAL_NUMBER: u32 = 99_999_999;
/// Most blanks one registration may add (a print run); larger ranges are split by the office.
pub const MAX_BLANKS_PER_RANGE: u32 = 100_000;
/// Co-holders' shares must add up to 1 within this.
pub const SHARE_TOLERANCE: f64 = 1e-6;
/// Prefix of the registry book number (số vào sổ cấp GCN) when the issuing-authority table
/// (`sample-data/issuing-authorities.csv`) has no row for a certificate: "CS" as for
/// certificates issued at province level (the 2025 two-tier structure has no district offices).
pub const DEFAULT_REGISTRY_PREFIX: &str = "CS";
/// The issuing authority when the table has no row; `{province}` is the province as
/// [`authority`] names it.
pub const DEFAULT_AUTHORITY: &str = "Văn phòng đăng ký đất đai {province}";
/// Marks the layout of [`Content`], so a verifier can tell future layouts apart. Adding
/// [`Content::endorsements`] kept it: content without endorsements has the same bytes as before.
pub const CONTENT_SCHEMA: &str = "diachinh.gcn.1";
/// Marks what an office signs since the QR carries a reference instead of the content (see
/// [`signed_message`]); also the first line of the signed bytes.
pub const SEAL_SCHEME: &str = "diachinh.gcn.seal.2";
/// Bytes of SHA-256 carried in the QR code as the content's reference hash (`h`): 128 bits
/// tell contents apart; the signature itself covers all 256.
pub const QR_HASH_BYTES: usize = 16;
/// Longest endorsement text and legal basis (characters), and dossier reference.
pub const MAX_ENDORSEMENT_TEXT: usize = 2000;
pub const MAX_LEGAL_BASIS: usize = 1000;
pub const MAX_DOSSIER_REF: usize = 64;

/// A problem with one field of the input, at a JSON pointer relative to the object checked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{pointer}: {message}")]
pub struct InputError {
    pub pointer: String,
    pub message: String,
}

fn input_error(pointer: impl Into<String>, message: impl Into<String>) -> InputError {
    InputError { pointer: pointer.into(), message: message.into() }
}

/// A letter allowed in a serial prefix: A–Z and the Vietnamese Đ.
fn is_serial_letter(c: char) -> bool {
    c.is_ascii_uppercase() || c == 'Đ'
}

/// The two letters of a blank-stock series (e.g. "AA", "ĐC").
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prefix(String);

impl Prefix {
    /// Exactly two capital letters; Đ is allowed, other diacritics and lower case are not.
    pub fn parse(text: &str) -> Result<Prefix, String> {
        let chars: Vec<char> = text.chars().collect();
        if chars.len() == 2 && chars.iter().all(|c| is_serial_letter(*c)) {
            Ok(Prefix(text.to_string()))
        } else {
            Err(format!("'{text}' is not a serial prefix: two capital letters A–Z or Đ"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Số phát hành: the serial printed on a blank, two letters + 8 digits ("AA01234567").
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Serial {
    prefix: Prefix,
    number: u32,
}

impl Serial {
    /// Parses a current-form serial (2 letters + 8 digits).
    pub fn parse(text: &str) -> Result<Serial, String> {
        let mut chars = text.chars();
        let prefix: String = chars.by_ref().take(2).collect();
        let digits = chars.as_str();
        let bad = || format!("'{text}' is not a serial: two capital letters (A–Z, Đ) and {SERIAL_DIGITS} digits");
        let prefix = Prefix::parse(&prefix).map_err(|_| bad())?;
        if digits.len() != SERIAL_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        Ok(Serial { prefix, number: digits.parse().map_err(|_| bad())? })
    }

    pub fn new(prefix: Prefix, number: u32) -> Option<Serial> {
        (number <= MAX_SERIAL_NUMBER).then_some(Serial { prefix, number })
    }

    pub fn prefix(&self) -> &Prefix {
        &self.prefix
    }

    pub fn number(&self) -> u32 {
        self.number
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:08}", self.prefix.0, self.number)
    }
}

/// Whether `text` has the shape of any certificate serial on record: the current 8-digit form
/// or the 6-digit form of blanks printed before 2025.
pub fn is_certificate_serial(text: &str) -> bool {
    let mut chars = text.chars();
    let prefix: String = chars.by_ref().take(2).collect();
    let digits = chars.as_str();
    Prefix::parse(&prefix).is_ok()
        && (digits.len() == 6 || digits.len() == SERIAL_DIGITS)
        && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A print run of blanks to register: `prefix` + every number from `first` to `last`.
#[derive(Debug, Clone, PartialEq)]
pub struct BlankRange {
    pub prefix: Prefix,
    pub first: u32,
    pub last: u32,
}

impl BlankRange {
    /// Checks the range: 8-digit numbers, first ≤ last, at most [`MAX_BLANKS_PER_RANGE`] blanks.
    pub fn new(prefix: &str, first: u32, last: u32) -> Result<BlankRange, InputError> {
        let prefix = Prefix::parse(prefix).map_err(|m| input_error("/prefix", m))?;
        for (pointer, n) in [("/first", first), ("/last", last)] {
            if n > MAX_SERIAL_NUMBER {
                return Err(input_error(pointer, format!("{n} has more than {SERIAL_DIGITS} digits")));
            }
        }
        if first > last {
            return Err(input_error("/last", format!("the range ends ({last}) before it starts ({first})")));
        }
        if last - first >= MAX_BLANKS_PER_RANGE {
            return Err(input_error("/last", format!("at most {MAX_BLANKS_PER_RANGE} blanks per registration")));
        }
        Ok(BlankRange { prefix, first, last })
    }

    pub fn len(&self) -> u32 {
        self.last - self.first + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn first_serial(&self) -> Serial {
        Serial { prefix: self.prefix.clone(), number: self.first }
    }

    pub fn last_serial(&self) -> Serial {
        Serial { prefix: self.prefix.clone(), number: self.last }
    }
}

/// Tình trạng giấy chứng nhận — a certificate's status, stored in `certificates.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Còn hiệu lực: the one valid certificate of its right.
    Valid,
    /// Đã thu hồi: revoked; kept for the record.
    Revoked,
    /// Đã cấp đổi: replaced by a newer certificate.
    Replaced,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Valid, Status::Revoked, Status::Replaced];

    /// The text stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Revoked => "revoked",
            Status::Replaced => "replaced",
        }
    }
}

impl TryFrom<String> for Status {
    type Error = String;
    fn try_from(text: String) -> Result<Status, String> {
        Status::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| format!("unknown certificate status {text:?}"))
    }
}

/// Tình trạng phôi — a blank form's status, stored in `certificate_blanks.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlankStatus {
    /// Chưa sử dụng: in stock.
    Unused,
    /// Đã in: a certificate was printed on it.
    Issued,
    /// Đã hủy: spoiled or lost, with a reason.
    Voided,
}

impl BlankStatus {
    pub const ALL: [BlankStatus; 3] = [BlankStatus::Unused, BlankStatus::Issued, BlankStatus::Voided];

    /// The text stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            BlankStatus::Unused => "unused",
            BlankStatus::Issued => "issued",
            BlankStatus::Voided => "voided",
        }
    }
}

impl TryFrom<String> for BlankStatus {
    type Error = String;
    fn try_from(text: String) -> Result<BlankStatus, String> {
        BlankStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| format!("unknown blank status {text:?}"))
    }
}

/// Người sử dụng đất: who holds the right (Land Law 2024 Art. 4 lists the users; Circular
/// 10/2024 Art. 32 how each is printed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolderKind {
    /// Cá nhân; with a spouse, vợ chồng sharing the right without shares.
    Person,
    /// Hộ gia đình: its members share the household's right.
    Household,
    /// Tổ chức: its name is public.
    Organisation,
    /// Cơ sở tôn giáo (a religious establishment).
    Religious,
    /// Cộng đồng dân cư (a community).
    Community,
    /// Tổ chức kinh tế có vốn đầu tư nước ngoài (a foreign-invested entity).
    ForeignInvested,
}

impl HolderKind {
    pub const ALL: [HolderKind; 6] = [
        HolderKind::Person,
        HolderKind::Household,
        HolderKind::Organisation,
        HolderKind::Religious,
        HolderKind::Community,
        HolderKind::ForeignInvested,
    ];

    pub fn parse(text: &str) -> Option<HolderKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            HolderKind::Person => "person",
            HolderKind::Household => "household",
            HolderKind::Organisation => "organisation",
            HolderKind::Religious => "religious",
            HolderKind::Community => "community",
            HolderKind::ForeignInvested => "foreign_invested",
        }
    }

    /// Whether the holder is a natural person or a family, whose names are personal data.
    pub fn is_private(&self) -> bool {
        matches!(self, HolderKind::Person | HolderKind::Household)
    }
}

/// Ông / Bà: how a person is named on the certificate ("Ông … và vợ: Bà …").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Title {
    Ong,
    Ba,
}

impl Title {
    pub fn parse(text: &str) -> Option<Title> {
        match text {
            "ong" => Some(Title::Ong),
            "ba" => Some(Title::Ba),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Title::Ong => "ong",
            Title::Ba => "ba",
        }
    }

    /// "Ông" / "Bà".
    pub fn label(&self) -> &'static str {
        match self {
            Title::Ong => "Ông",
            Title::Ba => "Bà",
        }
    }

    /// What this holder's spouse is called after "và": Ông's is his wife (vợ), Bà's her
    /// husband (chồng).
    pub fn spouse_word(&self) -> &'static str {
        match self {
            Title::Ong => "vợ",
            Title::Ba => "chồng",
        }
    }
}

/// A person who shares a holder's right without a share of their own: the spouse of a married
/// holder (Land Law 2024 Art. 135(4)) or a member of a household (Art. 135(5)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Title>,
    pub name: String,
    pub id_number: Option<String>,
    /// Quan hệ với chủ hộ (a household member's relation to its head), as stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
}

/// A holder as printed on the certificate. `id_number` is personal data: it is printed on the
/// holder's own certificate but never shown by public endpoints. The fields after `share` are
/// left out of the JSON while empty, so content sealed before they existed keeps its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Holder {
    pub kind: HolderKind,
    pub name: String,
    pub id_number: Option<String>,
    /// Share of the right, 0 < share ≤ 1, 8 decimals as stored. A married couple or a
    /// household holds one share together: its members have none of their own.
    pub share: f64,
    /// Ông / Bà of a person, or of a household's head ("Hộ ông …").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Title>,
    /// Địa chỉ (thường trú / trụ sở).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The spouse sharing a person's right (tài sản chung của vợ chồng, no shares).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spouse: Option<Member>,
    /// The members of a household who share its right, besides its head.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Member>,
}

/// The fields of a holder as a request states them, before checking.
#[derive(Debug, Clone, Default)]
pub struct HolderFields<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub id_number: Option<&'a str>,
    pub share: f64,
    pub title: Option<&'a str>,
    pub address: Option<&'a str>,
    pub spouse: Option<MemberFields<'a>>,
    pub members: Vec<MemberFields<'a>>,
}

/// A spouse or household member as a request states them.
#[derive(Debug, Clone, Default)]
pub struct MemberFields<'a> {
    pub title: Option<&'a str>,
    pub name: &'a str,
    pub id_number: Option<&'a str>,
    pub relation: Option<&'a str>,
}

fn parse_name(pointer: &str, name: &str) -> Result<String, InputError> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(input_error(pointer, "a name of 1 to 200 characters is required"));
    }
    Ok(name)
}

fn parse_id_number(pointer: &str, id_number: Option<&str>) -> Result<Option<String>, InputError> {
    match id_number.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(id) if id.len() <= 32 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/') => {
            Ok(Some(id.to_string()))
        }
        Some(_) => Err(input_error(pointer, "up to 32 letters, digits, '-' or '/'")),
    }
}

fn parse_title(pointer: &str, title: Option<&str>) -> Result<Option<Title>, InputError> {
    title.map(|t| Title::parse(t).ok_or_else(|| input_error(pointer, "ong (Ông) or ba (Bà)"))).transpose()
}

fn parse_member(prefix: &str, m: &MemberFields) -> Result<Member, InputError> {
    Ok(Member {
        title: parse_title(&format!("{prefix}/title"), m.title)?,
        name: parse_name(&format!("{prefix}/name"), m.name)?,
        id_number: parse_id_number(&format!("{prefix}/id_number"), m.id_number)?,
        relation: one_line(&format!("{prefix}/relation"), m.relation.unwrap_or(""), 100)?,
    })
}

impl Holder {
    /// Parses one holder from request fields; pointers are relative to the holder object.
    pub fn parse(kind: &str, name: &str, id_number: Option<&str>, share: f64) -> Result<Holder, InputError> {
        Holder::parse_fields(&HolderFields { kind, name, id_number, share, ..HolderFields::default() })
    }

    /// Parses a holder with its title, address, spouse and household members. A spouse is a
    /// person's only (both titled, so the certificate can say "và vợ"/"và chồng"); members
    /// belong to a household. Pointers are relative to the holder object.
    pub fn parse_fields(f: &HolderFields) -> Result<Holder, InputError> {
        let one_of = HolderKind::ALL.map(|k| k.as_str()).join(", ");
        let kind = HolderKind::parse(f.kind).ok_or_else(|| input_error("/kind", format!("one of {one_of}")))?;
        let name = parse_name("/name", f.name)?;
        let id_number = parse_id_number("/id_number", f.id_number)?;
        if !(f.share.is_finite() && f.share > 0.0 && f.share <= 1.0) {
            return Err(input_error("/share", "a share is a number above 0 and at most 1"));
        }
        // Stored as numeric(9, 8): the content carries exactly what the database keeps.
        let share = (f.share * 1e8).round() / 1e8;
        if share <= 0.0 {
            return Err(input_error("/share", "a share below 0.00000001 cannot be recorded"));
        }
        let title = parse_title("/title", f.title)?;
        if title.is_some() && !kind.is_private() {
            return Err(input_error("/title", "only a person or a household's head is Ông or Bà"));
        }
        let address = one_line("/address", f.address.unwrap_or(""), 300)?;
        let spouse = f.spouse.as_ref().map(|m| parse_member("/spouse", m)).transpose()?;
        if let Some(sp) = &spouse {
            if kind != HolderKind::Person {
                return Err(input_error(
                    "/spouse",
                    "only a person has a spouse on the certificate; a household lists members",
                ));
            }
            // Circular 10/2024 Art. 32(2): "Ông … và vợ: Bà …" needs both titles.
            if title.is_none() {
                return Err(input_error("/title", "a married holder is printed with Ông or Bà: say which"));
            }
            if sp.title.is_none() {
                return Err(input_error("/spouse/title", "say whether the spouse is Ông or Bà"));
            }
        }
        let members = f
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| parse_member(&format!("/members/{i}"), m))
            .collect::<Result<Vec<_>, _>>()?;
        if !members.is_empty() && kind != HolderKind::Household {
            return Err(input_error("/members", "only a household has members; spouses are given as spouse"));
        }
        if members.len() > 50 {
            return Err(input_error("/members", "at most 50 members"));
        }
        Ok(Holder { kind, name, id_number, share, title, address, spouse, members })
    }

    /// Whether several people share this one entry without shares (a couple, a household).
    pub fn is_shared(&self) -> bool {
        self.spouse.is_some() || !self.members.is_empty()
    }
}

/// Checks a list of holders: at least one, at most 100, shares adding up to 1 (± 1e-6).
/// Pointers are relative to the request (`/holders…`).
pub fn check_holders(holders: &[Holder]) -> Result<(), InputError> {
    if holders.is_empty() {
        return Err(input_error("/holders", "at least one holder is required"));
    }
    if holders.len() > 100 {
        return Err(input_error("/holders", "at most 100 holders"));
    }
    let total: f64 = holders.iter().map(|h| h.share).sum();
    if (total - 1.0).abs() > SHARE_TOLERANCE {
        return Err(input_error("/holders", format!("the shares add up to {total} instead of 1")));
    }
    Ok(())
}

/// Hình thức sử dụng: one holder uses the land alone (riêng), several jointly (chung).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UseForm {
    Sole,
    Joint,
}

impl UseForm {
    /// Several holders, a couple or a household use the land jointly (chung).
    pub fn for_holders(holders: &[Holder]) -> UseForm {
        if holders.len() > 1 || holders.iter().any(Holder::is_shared) {
            UseForm::Joint
        } else {
            UseForm::Sole
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            UseForm::Sole => "sole",
            UseForm::Joint => "joint",
        }
    }
}

/// Loại đất with its area and term, as printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LandUse {
    /// Mã loại đất, e.g. ODT.
    pub code: String,
    /// Its name, e.g. "Đất ở tại đô thị".
    pub name: String,
    /// m², 1 decimal.
    pub area_m2: f64,
    /// Thời hạn sử dụng; None = lâu dài (long-term).
    pub use_until: Option<NaiveDate>,
}

/// Section 2 of page 1: the parcel (thửa đất).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParcelBlock {
    /// Mã định danh thửa đất (12-character GeoHash).
    pub national_id: String,
    pub commune_code: String,
    pub commune_name: String,
    /// The commune under which the sheet and parcel numbers were assigned (may be pre-2025).
    pub registered_commune_code: String,
    /// Tờ bản đồ số.
    pub sheet_no: i32,
    /// Thửa đất số.
    pub parcel_no: i32,
    /// The parcel version the certificate describes (its diagram is drawn from this version).
    pub version: i32,
    /// Diện tích, m², 1 decimal.
    pub area_m2: f64,
    pub land_uses: Vec<LandUse>,
    pub use_form: UseForm,
    /// Địa chỉ thửa đất.
    pub address: Option<String>,
}

/// The certificate this one supersedes and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Predecessor {
    pub serial: String,
    /// lost, damaged, exchange (cấp lại / cấp đổi) or transfer, inheritance, gift.
    pub reason: String,
}

/// Xác nhận thay đổi: one change entered on the certificate after issue, in the column "Nội
/// dung thay đổi và cơ sở pháp lý" (Circular 10/2024 Art. 41), e.g. a mortgage registered or
/// deleted (Decree 99/2022 Art. 35(1)), a holder's new name, a term extended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endorsement {
    /// 1, 2, … in the order entered.
    pub seq: u32,
    /// Vietnam date it was entered.
    pub recorded_on: NaiveDate,
    /// What changed, as printed ("Thế chấp bằng quyền sử dụng đất tại Ngân hàng … theo hợp đồng
    /// số …, đăng ký ngày …").
    pub text: String,
    /// Cơ sở pháp lý: the document the change rests on.
    pub legal_basis: String,
    /// Receipt number of the dossier (hồ sơ số) that asked for it.
    pub dossier: Option<String>,
}

/// What a certificate says: the fields of Circular 10/2024 (DOMAIN.md §1) and the changes
/// endorsed since. Sealed as a whole in its canonical form (see [`seal`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Content {
    /// Always [`CONTENT_SCHEMA`].
    pub schema: String,
    /// Số phát hành.
    pub serial: String,
    /// Mã Giấy chứng nhận (see [`certificate_code`]).
    pub code: String,
    /// Số vào sổ cấp GCN.
    pub registry_no: String,
    pub province_code: String,
    /// Ngày cấp (Vietnam date).
    pub issued_on: NaiveDate,
    /// Cơ quan cấp.
    pub authority: String,
    /// Nơi cấp, printed before the date ("Cần Thơ, ngày …").
    pub place: String,
    /// 1) Người sử dụng đất.
    pub holders: Vec<Holder>,
    /// 2) Thửa đất.
    pub parcel: ParcelBlock,
    /// Nguồn gốc sử dụng (whether it is still printed is unconfirmed; kept in the content).
    pub origin: Option<String>,
    /// 4) Ghi chú.
    pub notes: Option<String>,
    pub replaces: Option<Predecessor>,
    /// Section 6, những thay đổi sau khi cấp, oldest first. Left out of the JSON while empty: content
    /// sealed before endorsements existed (stored without the field) keeps exactly the bytes it
    /// was signed over, and so do new certificates until their first endorsement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endorsements: Vec<Endorsement>,
}

/// Số vào sổ: "CS 00001", the prefix from the issuing-authority table.
pub fn registry_no(prefix: &str, number: i32) -> String {
    format!("{prefix} {number:05}")
}

/// Whether a registry prefix is two or three capital letters ("CS", "CH", "CT").
pub fn is_registry_prefix(prefix: &str) -> bool {
    (2..=3).contains(&prefix.len()) && prefix.bytes().all(|b| b.is_ascii_uppercase())
}

/// Mã Giấy chứng nhận. Its official structure is unconfirmed (DOMAIN.md §1 [U]); until it is,
/// the code is province, year and registry number ("92.2026.00001"), unique per office and year.
pub fn certificate_code(province_code: &str, year: i32, registry_number: i32) -> String {
    format!("{province_code}.{year}.{registry_number:05}")
}

/// The issuing office's name from the province's name and type.
pub fn authority(province_name: &str, division_type: &str) -> String {
    authority_from(DEFAULT_AUTHORITY, province_name, division_type)
}

/// An issuing authority from its template in the table: `{province}` becomes "tỉnh Khánh
/// Hòa" or "thành phố Cần Thơ".
pub fn authority_from(template: &str, province_name: &str, division_type: &str) -> String {
    let name =
        if division_type == "tỉnh" { format!("tỉnh {province_name}") } else { lower_first_word(province_name) };
    template.replace("{province}", &name)
}

/// The place printed before the date: the province's name without "Thành phố"/"Tỉnh".
pub fn place(province_name: &str) -> String {
    for prefix in ["Thành phố ", "Tỉnh "] {
        if let Some(rest) = province_name.strip_prefix(prefix) {
            return rest.to_string();
        }
    }
    province_name.to_string()
}

fn lower_first_word(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The date in Vietnam (UTC+7, no daylight saving) at an instant: the certificate's issue date.
pub fn vietnam_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")).date_naive()
}

/// Chuyển nhượng / thừa kế / tặng cho: a change of holders that ends the old right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferKind {
    Transfer,
    Inheritance,
    Gift,
}

impl TransferKind {
    pub fn parse(text: &str) -> Option<TransferKind> {
        match text {
            "transfer" => Some(TransferKind::Transfer),
            "inheritance" => Some(TransferKind::Inheritance),
            "gift" => Some(TransferKind::Gift),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            TransferKind::Transfer => "transfer",
            TransferKind::Inheritance => "inheritance",
            TransferKind::Gift => "gift",
        }
    }

    /// Nguồn gốc sử dụng of the new holders.
    pub fn origin(&self) -> &'static str {
        match self {
            TransferKind::Transfer => "Nhận chuyển nhượng quyền sử dụng đất",
            TransferKind::Inheritance => "Nhận thừa kế quyền sử dụng đất",
            TransferKind::Gift => "Được tặng cho quyền sử dụng đất",
        }
    }
}

/// Why a certificate is re-issued over the same right: cấp lại (lost), cấp đổi (damaged, or
/// exchanged for a new form or after a re-survey).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplaceReason {
    Lost,
    Damaged,
    Exchange,
}

impl ReplaceReason {
    pub fn parse(text: &str) -> Option<ReplaceReason> {
        match text {
            "lost" => Some(ReplaceReason::Lost),
            "damaged" => Some(ReplaceReason::Damaged),
            "exchange" => Some(ReplaceReason::Exchange),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            ReplaceReason::Lost => "lost",
            ReplaceReason::Damaged => "damaged",
            ReplaceReason::Exchange => "exchange",
        }
    }
}

/// Vietnamese wording of a predecessor's reason, for the printed history.
pub fn reason_label(reason: &str) -> &'static str {
    match reason {
        "lost" => "cấp lại do mất Giấy chứng nhận",
        "damaged" => "cấp đổi do Giấy chứng nhận bị hư hỏng",
        "exchange" => "cấp đổi Giấy chứng nhận",
        "transfer" => "chuyển nhượng quyền sử dụng đất",
        "inheritance" => "thừa kế quyền sử dụng đất",
        "gift" => "tặng cho quyền sử dụng đất",
        "change" => "đăng ký biến động, cấp Giấy chứng nhận mới",
        _ => "thay thế",
    }
}

/// A holder's name as the public may see it: organisations in full; people and households
/// masked to family name and initials ("Hộ ông Nguyễn Văn An" → "Hộ ông Nguyễn V. A.").
pub fn public_name(kind: HolderKind, name: &str) -> String {
    match kind {
        HolderKind::Organisation | HolderKind::Religious | HolderKind::Community | HolderKind::ForeignInvested => {
            name.to_string()
        }
        HolderKind::Person => super::privacy::mask_person_name(name),
        HolderKind::Household => {
            for prefix in ["Hộ gia đình ông ", "Hộ gia đình bà ", "Hộ ông ", "Hộ bà ", "Hộ gia đình "]
            {
                if let Some(rest) = name.strip_prefix(prefix) {
                    return format!("{prefix}{}", super::privacy::mask_person_name(rest));
                }
            }
            super::privacy::mask_person_name(name)
        }
    }
}

/// Canonical JSON: object keys sorted (by code point), no whitespace, strings escaped as
/// serde_json escapes them (only `"`, `\` and control characters; other text stays UTF-8),
/// numbers as serde_json prints them (integers without a point, others in shortest round-trip
/// form: `600.0`, `0.5`). Equal values always give equal bytes, so a signature over these bytes
/// can be checked against a stored copy.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&serde_json::to_string(s).expect("a string serialises")),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(key).expect("a key serialises"));
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
    }
}

impl Content {
    /// The canonical JSON of the content: its SHA-256 is what the seal covers.
    pub fn canonical(&self) -> String {
        canonical_json(&serde_json::to_value(self).expect("certificate content serialises"))
    }

    /// Enters a change after issue, numbered after the last one. The content must then be
    /// sealed again: its hash, signature and QR payload change, and a paper printed before
    /// shows as outdated when scanned. Texts are trimmed and their whitespace runs collapsed;
    /// pointers are relative to the request (`/text`, `/legal_basis`, `/dossier`).
    pub fn endorse(
        &mut self,
        recorded_on: NaiveDate,
        text: &str,
        legal_basis: &str,
        dossier: Option<&str>,
    ) -> Result<&Endorsement, InputError> {
        let text = one_line("/text", text, MAX_ENDORSEMENT_TEXT)?
            .ok_or_else(|| input_error("/text", "the content of the change is required"))?;
        let legal_basis = one_line("/legal_basis", legal_basis, MAX_LEGAL_BASIS)?
            .ok_or_else(|| input_error("/legal_basis", "the legal basis (cơ sở pháp lý) is required"))?;
        let dossier = one_line("/dossier", dossier.unwrap_or(""), MAX_DOSSIER_REF)?;
        // Changes are entered in the order received (Decree 99/2022 Art. 35(1)), never before
        // the certificate existed.
        let after = self.endorsements.last().map_or(self.issued_on, |e| e.recorded_on.max(self.issued_on));
        if recorded_on < after {
            return Err(input_error(
                "/recorded_on",
                format!("{recorded_on} is before {after}, the certificate's last entry"),
            ));
        }
        let seq = match self.endorsements.last() {
            None => 1,
            Some(last) => last.seq.checked_add(1).ok_or_else(|| input_error("/text", "no more endorsements fit"))?,
        };
        self.endorsements.push(Endorsement { seq, recorded_on, text, legal_basis, dossier });
        Ok(&self.endorsements[self.endorsements.len() - 1])
    }
}

/// Text for one printed line: trimmed, whitespace runs collapsed, no control characters (the
/// content is stored as jsonb, which refuses NUL), at most `max` characters; None when empty.
fn one_line(pointer: &str, text: &str, max: usize) -> Result<Option<String>, InputError> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().any(char::is_control) {
        return Err(input_error(pointer, "control characters are not allowed"));
    }
    if text.chars().count() > max {
        return Err(input_error(pointer, format!("at most {max} characters")));
    }
    Ok((!text.is_empty()).then_some(text))
}

/// Key id of an office's public key: province code + first 8 hex digits of its SHA-256
/// ("92-1a2b3c4d").
pub fn key_id(province_code: &str, key: &VerifyingKey) -> String {
    format!("{province_code}-{}", &hex::encode(Sha256::digest(key.as_bytes()))[..8])
}

/// SHA-256 of the canonical content: what the seal covers.
pub fn content_digest(canonical: &[u8]) -> [u8; 32] {
    Sha256::digest(canonical).into()
}

/// The content's reference hash printed in the QR code and shown by the verification
/// endpoint: base64url (no padding, 22 characters) of the first [`QR_HASH_BYTES`] of its digest.
pub fn content_hash(canonical: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(&content_digest(canonical)[..QR_HASH_BYTES])
}

/// The bytes an office signs for a certificate: four lines of UTF-8, [`SEAL_SCHEME`], the
/// serial, the key id and the lower-case hex SHA-256 of the canonical content, joined by "\n"
/// (none of them can hold a line break). The whole digest is signed, not the 128 bits in the
/// QR, so forging a seal needs a SHA-256 collision, not a 2⁶⁴ birthday search.
pub fn signed_message(serial: &str, key_id: &str, digest: &[u8; 32]) -> Vec<u8> {
    format!("{SEAL_SCHEME}\n{serial}\n{key_id}\n{}", hex::encode(digest)).into_bytes()
}

/// A sealed certificate: the canonical content, its reference hash, the signature and the
/// QR payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Sealed {
    pub canonical: String,
    /// [`content_hash`] of `canonical`.
    pub content_hash: String,
    pub key_id: String,
    /// base64url (no padding) of the 64-byte Ed25519 signature over [`signed_message`].
    pub signature: String,
    pub qr_payload: String,
}

/// Seals the content with the office's key and builds the QR payload (see [`qr::payload`]).
pub fn seal(content: &Content, key: &SigningKey, base_url: &str) -> Sealed {
    let canonical = content.canonical();
    let digest = content_digest(canonical.as_bytes());
    let key_id = key_id(&content.province_code, &key.verifying_key());
    let signature = URL_SAFE_NO_PAD.encode(key.sign(&signed_message(&content.serial, &key_id, &digest)).to_bytes());
    let content_hash = content_hash(canonical.as_bytes());
    let qr_payload = qr::payload(base_url, &content.serial, &content_hash, &key_id, &signature);
    Sealed { canonical, content_hash, key_id, signature, qr_payload }
}

/// Why a QR payload does not verify.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VerifyError {
    #[error("the payload is malformed: {0}")]
    Malformed(String),
    #[error("the signature does not match the content and key")]
    BadSignature,
    #[error("the content is not the one the payload refers to (changed, or endorsed since)")]
    ContentMismatch,
    #[error("the content is not in canonical form")]
    NotCanonical,
    #[error("the URL names serial {url} but the content is for {content}")]
    SerialMismatch { url: String, content: String },
    #[error("key id {given} does not belong to this public key (expected {expected})")]
    KeyMismatch { given: String, expected: String },
}

/// The parts of a QR payload of the first scheme (content embedded), before any check.
#[derive(Debug, Clone, PartialEq)]
pub struct PayloadParts {
    pub serial: String,
    pub canonical: Vec<u8>,
    pub key_id: String,
    pub signature: Vec<u8>,
}

/// Splits a QR payload of the first scheme into its parts (accepts `#` or `?` before the
/// parameters). That scheme carried the whole canonical content (`c`, ≈1.3 kB: a QR code of
/// version 30 that no phone reads off paper) and the signature over exactly those bytes;
/// certificates sealed before the signed reference still carry it. Payloads of today's
/// scheme are read by [`qr::parse`].
pub fn parse_payload(payload: &str) -> Result<PayloadParts, VerifyError> {
    let malformed = |m: &str| VerifyError::Malformed(m.to_string());
    let (url, params) =
        payload.split_once('#').or_else(|| payload.split_once('?')).ok_or_else(|| malformed("no parameters"))?;
    if params.split('&').any(|p| p.starts_with("h=")) {
        return Err(malformed(
            "this is a signed reference without the content: check it with qr::verify_offline and the content",
        ));
    }
    let serial = url
        .rsplit_once("/certificates/verify/")
        .map(|(_, s)| s.to_string())
        .filter(|s| is_certificate_serial(s))
        .ok_or_else(|| malformed("the URL does not end in /certificates/verify/{serial}"))?;
    let (mut c, mut k, mut s) = (None, None, None);
    for pair in params.split('&') {
        let (name, value) = pair.split_once('=').ok_or_else(|| malformed("a parameter has no value"))?;
        let slot = match name {
            "c" => &mut c,
            "k" => &mut k,
            "s" => &mut s,
            _ => return Err(malformed("unknown parameter")),
        };
        if slot.replace(value).is_some() {
            return Err(malformed("a parameter is repeated"));
        }
    }
    let decode = |v: Option<&str>, name: &str| -> Result<Vec<u8>, VerifyError> {
        let v = v.ok_or_else(|| VerifyError::Malformed(format!("parameter {name} is missing")))?;
        URL_SAFE_NO_PAD.decode(v).map_err(|e| VerifyError::Malformed(format!("parameter {name}: {e}")))
    };
    Ok(PayloadParts {
        serial,
        canonical: decode(c, "c")?,
        key_id: k.ok_or_else(|| malformed("parameter k is missing"))?.to_string(),
        signature: decode(s, "s")?,
    })
}

/// Checks a QR payload of the first scheme (content embedded, see [`parse_payload`]) offline
/// against an office's public key: the signature over the content, that the content is
/// canonical, that it is for the serial in the URL and that the key id is this key's. Returns
/// the content. [`qr::verify_offline`] checks payloads of either scheme against given content.
pub fn verify_offline(payload: &str, public_key: &VerifyingKey) -> Result<Content, VerifyError> {
    let parts = parse_payload(payload)?;
    let signature = Signature::from_slice(&parts.signature)
        .map_err(|_| VerifyError::Malformed("the signature is not 64 bytes".into()))?;
    public_key.verify_strict(&parts.canonical, &signature).map_err(|_| VerifyError::BadSignature)?;
    // Past this point the bytes are exactly what the office signed.
    let value: Value =
        serde_json::from_slice(&parts.canonical).map_err(|e| VerifyError::Malformed(format!("content: {e}")))?;
    if canonical_json(&value).as_bytes() != parts.canonical.as_slice() {
        return Err(VerifyError::NotCanonical);
    }
    let content: Content =
        serde_json::from_value(value).map_err(|e| VerifyError::Malformed(format!("content: {e}")))?;
    if content.serial != parts.serial {
        return Err(VerifyError::SerialMismatch { url: parts.serial, content: content.serial });
    }
    let expected = key_id(&content.province_code, public_key);
    if parts.key_id != expected {
        return Err(VerifyError::KeyMismatch { given: parts.key_id, expected });
    }
    Ok(content)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serials_table() {
        for ok in ["AA00000001", "ĐC12345678", "ZZ99999999", "ĐĐ00000000"] {
            let s = Serial::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(s.to_string(), ok);
        }
        for bad in
            ["aa00000001", "A100000001", "AA0000001", "AA000000011", "ÂA00000001", "AA0000000x", "", "AA", "AB 0000001"]
        {
            assert!(Serial::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Serial::parse("AB00000042").unwrap().number(), 42);
        assert!(is_certificate_serial("AB123456"), "older 6-digit serials are still on record");
        assert!(is_certificate_serial("ĐC12345678"));
        assert!(!is_certificate_serial("AB1234567"));
    }

    #[test]
    fn blank_ranges() {
        let r = BlankRange::new("ĐC", 1, 100).unwrap();
        assert_eq!(
            (r.len(), r.first_serial().to_string(), r.last_serial().to_string()),
            (100, "ĐC00000001".into(), "ĐC00000100".into())
        );
        assert_eq!(BlankRange::new("Ab", 1, 2).unwrap_err().pointer, "/prefix");
        assert_eq!(BlankRange::new("AB", 5, 4).unwrap_err().pointer, "/last");
        assert_eq!(BlankRange::new("AB", 100_000_000, 100_000_001).unwrap_err().pointer, "/first");
        assert_eq!(BlankRange::new("AB", 1, MAX_BLANKS_PER_RANGE + 1).unwrap_err().pointer, "/last");
        assert!(BlankRange::new("AB", 1, MAX_BLANKS_PER_RANGE).is_ok());
    }

    fn holder(share: f64) -> Holder {
        Holder::parse("person", "Nguyễn Văn An", None, share).unwrap()
    }

    #[test]
    fn shares_must_add_up_to_one() {
        assert!(check_holders(&[holder(1.0)]).is_ok());
        assert!(check_holders(&[holder(0.5), holder(0.5)]).is_ok());
        assert!(
            check_holders(&[holder(1.0 / 3.0), holder(1.0 / 3.0), holder(1.0 / 3.0)]).is_ok(),
            "thirds round to 8 decimals"
        );
        assert!(check_holders(&[holder(0.5), holder(0.4)]).is_err());
        assert!(check_holders(&[holder(0.6), holder(0.5)]).is_err());
        assert!(check_holders(&[]).is_err());
        for bad in [0.0, -0.5, 1.5, f64::NAN] {
            assert_eq!(Holder::parse("person", "A", None, bad).unwrap_err().pointer, "/share");
        }
        assert_eq!(Holder::parse("company", "A", None, 1.0).unwrap_err().pointer, "/kind");
        assert_eq!(Holder::parse("person", "   ", None, 1.0).unwrap_err().pointer, "/name");
        assert_eq!(Holder::parse("person", "A", Some("12 34"), 1.0).unwrap_err().pointer, "/id_number");
        assert_eq!(
            Holder::parse("person", "  Trần   Thị  Bé ", Some(" 079123456789 "), 1.0).unwrap().name,
            "Trần Thị Bé"
        );
    }

    #[test]
    fn holders_with_spouses_members_and_the_new_kinds() {
        let f = |kind| HolderFields { kind, name: "Chùa Thử", share: 1.0, ..HolderFields::default() };
        for kind in ["religious", "community", "foreign_invested", "organisation"] {
            let h = Holder::parse_fields(&f(kind)).unwrap();
            assert_eq!(public_name(h.kind, &h.name), "Chùa Thử", "{kind} names are public");
        }
        let spouse = MemberFields { title: Some("ba"), name: "Trần Thị Bé", ..MemberFields::default() };
        let married = HolderFields {
            kind: "person",
            name: "Nguyễn Văn An",
            share: 1.0,
            title: Some("ong"),
            spouse: Some(spouse.clone()),
            ..HolderFields::default()
        };
        let h = Holder::parse_fields(&married).unwrap();
        assert!(h.is_shared());
        assert_eq!(UseForm::for_holders(&[h]), UseForm::Joint);
        for (bad, pointer) in [
            (HolderFields { title: None, ..married.clone() }, "/title"),
            (
                HolderFields { spouse: Some(MemberFields { title: None, ..spouse.clone() }), ..married.clone() },
                "/spouse/title",
            ),
            (HolderFields { kind: "household", ..married.clone() }, "/spouse"),
            (HolderFields { title: Some("sir"), ..married.clone() }, "/title"),
            (HolderFields { spouse: None, members: vec![spouse.clone()], ..married.clone() }, "/members"),
            (HolderFields { kind: "organisation", spouse: None, ..married.clone() }, "/title"),
            (
                HolderFields { spouse: Some(MemberFields { name: " ", ..spouse.clone() }), ..married.clone() },
                "/spouse/name",
            ),
        ] {
            assert_eq!(Holder::parse_fields(&bad).unwrap_err().pointer, pointer);
        }
        // New fields stay out of the JSON while empty: contents sealed before keep their bytes.
        let plain = serde_json::to_string(&Holder::parse("person", "A", None, 1.0).unwrap()).unwrap();
        assert_eq!(plain, r#"{"kind":"person","name":"A","id_number":null,"share":1.0}"#);
    }

    #[test]
    fn public_names() {
        assert_eq!(public_name(HolderKind::Person, "Nguyễn Văn An"), "Nguyễn V. A.");
        assert_eq!(public_name(HolderKind::Household, "Hộ ông Nguyễn Văn An"), "Hộ ông Nguyễn V. A.");
        assert_eq!(public_name(HolderKind::Organisation, "Công ty TNHH Mẫu"), "Công ty TNHH Mẫu");
    }

    #[test]
    fn authority_and_place() {
        assert_eq!(authority("Khánh Hòa", "tỉnh"), "Văn phòng đăng ký đất đai tỉnh Khánh Hòa");
        assert_eq!(
            authority("Thành phố Cần Thơ", "thành phố trung ương"),
            "Văn phòng đăng ký đất đai thành phố Cần Thơ"
        );
        assert_eq!(place("Thành phố Cần Thơ"), "Cần Thơ");
        assert_eq!(registry_no("CS", 1), "CS 00001");
        assert_eq!(registry_no("CT", 42), "CT 00042");
        assert!(
            is_registry_prefix("CS")
                && is_registry_prefix("CHT")
                && !is_registry_prefix("cs")
                && !is_registry_prefix("C")
        );
        assert_eq!(
            authority_from("Sở Nông nghiệp và Môi trường {province}", "Khánh Hòa", "tỉnh"),
            "Sở Nông nghiệp và Môi trường tỉnh Khánh Hòa"
        );
        assert_eq!(certificate_code("92", 2026, 7), "92.2026.00007");
    }

    #[test]
    fn vietnam_date_is_utc_plus_seven() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(vietnam_date(at("2026-11-23T16:59:59Z")), NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        assert_eq!(vietnam_date(at("2026-11-23T17:00:00Z")), NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
    }

    #[test]
    fn canonical_form() {
        let v: Value = serde_json::from_str(
            r#"{ "b": [1, 2.50, {"z": null, "a": true}], "a": "Đất ở \"tại\" đô thị\n", "c": 600.0, "d": -0.5 }"#,
        )
        .unwrap();
        assert_eq!(
            canonical_json(&v),
            r#"{"a":"Đất ở \"tại\" đô thị\n","b":[1,2.5,{"a":true,"z":null}],"c":600.0,"d":-0.5}"#
        );
        // Key order of the input does not matter; a re-parse gives the same bytes.
        let w: Value = serde_json::from_str(
            r#"{"d":-0.5,"c":600.0,"a":"Đất ở \"tại\" đô thị\n","b":[1,2.5,{"a":true,"z":null}]}"#,
        )
        .unwrap();
        assert_eq!(canonical_json(&w), canonical_json(&v));
        let again: Value = serde_json::from_str(&canonical_json(&v)).unwrap();
        assert_eq!(canonical_json(&again), canonical_json(&v));
        assert_eq!(canonical_json(&json!({"k": "\u{1}"})), r#"{"k":"\u0001"}"#);
    }

    /// A sample content for tests here and in `print`.
    pub(crate) fn sample_content() -> Content {
        Content {
            schema: CONTENT_SCHEMA.into(),
            serial: "ĐC00000042".into(),
            code: certificate_code("92", 2026, 1),
            registry_no: registry_no("CS", 1),
            province_code: "92".into(),
            issued_on: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            authority: authority("Thành phố Cần Thơ", "thành phố trung ương"),
            place: "Cần Thơ".into(),
            holders: vec![
                Holder::parse("person", "Nguyễn Văn An", Some("079123456789"), 0.5).unwrap(),
                Holder::parse("person", "Trần Thị <b>Bé</b>", Some("079987654321"), 0.5).unwrap(),
            ],
            parcel: ParcelBlock {
                national_id: "w6x1fpzbc8ru".into(),
                commune_code: "31507".into(),
                commune_name: "Phường Sóc Trăng".into(),
                registered_commune_code: "31507".into(),
                sheet_no: 7,
                parcel_no: 12,
                version: 1,
                area_m2: 600.0,
                land_uses: vec![LandUse {
                    code: "ODT".into(),
                    name: "Đất ở tại đô thị".into(),
                    area_m2: 600.0,
                    use_until: None,
                }],
                use_form: UseForm::Joint,
                address: Some("số 1 đường Thử & <Nghiệm>".into()),
            },
            origin: Some("Nhà nước công nhận quyền sử dụng đất".into()),
            notes: None,
            replaces: None,
            endorsements: Vec::new(),
        }
    }

    pub(crate) fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    /// A payload of the first scheme (content embedded, signature over the canonical bytes),
    /// as certificates sealed before the signed reference carry it.
    pub(crate) fn first_scheme_payload(content: &Content, key: &SigningKey, base_url: &str) -> String {
        let canonical = content.canonical();
        format!(
            "{base_url}/certificates/verify/{}#c={}&k={}&s={}",
            content.serial,
            URL_SAFE_NO_PAD.encode(canonical.as_bytes()),
            key_id(&content.province_code, &key.verifying_key()),
            URL_SAFE_NO_PAD.encode(key.sign(canonical.as_bytes()).to_bytes())
        )
    }

    /// The sample content's canonical bytes as content was stored before endorsements existed
    /// (no `endorsements` key). Frozen: if this test breaks, every stored seal breaks with it.
    const STORED_BEFORE_ENDORSEMENTS: &str = r#"{"authority":"Văn phòng đăng ký đất đai thành phố Cần Thơ","code":"92.2026.00001","holders":[{"id_number":"079123456789","kind":"person","name":"Nguyễn Văn An","share":0.5},{"id_number":"079987654321","kind":"person","name":"Trần Thị <b>Bé</b>","share":0.5}],"issued_on":"2026-11-23","notes":null,"origin":"Nhà nước công nhận quyền sử dụng đất","parcel":{"address":"số 1 đường Thử & <Nghiệm>","area_m2":600.0,"commune_code":"31507","commune_name":"Phường Sóc Trăng","land_uses":[{"area_m2":600.0,"code":"ODT","name":"Đất ở tại đô thị","use_until":null}],"national_id":"w6x1fpzbc8ru","parcel_no":12,"registered_commune_code":"31507","sheet_no":7,"use_form":"joint","version":1},"place":"Cần Thơ","province_code":"92","registry_no":"CS 00001","replaces":null,"schema":"diachinh.gcn.1","serial":"ĐC00000042"}"#;

    #[test]
    fn content_stored_without_endorsements_keeps_its_bytes_and_its_seal() {
        let stored: Content = serde_json::from_str(STORED_BEFORE_ENDORSEMENTS).unwrap();
        assert!(stored.endorsements.is_empty());
        assert_eq!(stored, sample_content());
        assert_eq!(stored.canonical(), STORED_BEFORE_ENDORSEMENTS, "no endorsements: the bytes signed before");
        // A seal of the first scheme made over those bytes still verifies, both ways.
        let old = first_scheme_payload(&stored, &key(), "https://gcn.example.vn");
        assert_eq!(verify_offline(&old, &key().verifying_key()), Ok(stored.clone()));
        assert!(qr::verify_offline(&old, &key().verifying_key(), &stored).is_ok());
        // The reference hash of the sample, frozen too: the canonical form must not drift.
        assert_eq!(content_hash(STORED_BEFORE_ENDORSEMENTS.as_bytes()), "XR5PeBad8W6ZO0sPvuLxVg");
    }

    #[test]
    fn the_seal_signs_serial_key_id_and_the_whole_digest() {
        let content = sample_content();
        let sealed = seal(&content, &key(), "https://gcn.example.vn/");
        let digest = content_digest(sealed.canonical.as_bytes());
        let message = String::from_utf8(signed_message(&content.serial, &sealed.key_id, &digest)).unwrap();
        assert_eq!(message, format!("diachinh.gcn.seal.2\nĐC00000042\n{}\n{}", sealed.key_id, hex::encode(digest)));
        let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(&sealed.signature).unwrap()).unwrap();
        assert!(key().verifying_key().verify_strict(message.as_bytes(), &signature).is_ok());
        assert_eq!(sealed.content_hash, URL_SAFE_NO_PAD.encode(&digest[..16]));
        assert!(sealed.key_id.starts_with("92-") && sealed.key_id.len() == 11);
        assert_eq!(
            sealed.qr_payload,
            format!(
                "https://gcn.example.vn/certificates/verify/%C4%90C00000042?h={}&k={}&s={}",
                sealed.content_hash, sealed.key_id, sealed.signature
            )
        );
    }

    #[test]
    fn an_endorsement_is_numbered_and_changes_the_seal() {
        let mut content = sample_content();
        let before = seal(&content, &key(), "https://gcn.example.vn");
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        let first = content
            .endorse(
                day(1),
                "  Thế chấp bằng quyền sử dụng đất tại Ngân hàng TMCP Thử\n theo hợp đồng số 12/2026/HĐTC ",
                "Hợp đồng thế chấp số 12/2026/HĐTC ngày 30/11/2026",
                Some("HS-2026-0042"),
            )
            .unwrap()
            .clone();
        assert_eq!(first.seq, 1);
        assert_eq!(first.text, "Thế chấp bằng quyền sử dụng đất tại Ngân hàng TMCP Thử theo hợp đồng số 12/2026/HĐTC");
        assert_eq!(first.dossier.as_deref(), Some("HS-2026-0042"));
        let after = seal(&content, &key(), "https://gcn.example.vn");
        assert_ne!(after.content_hash, before.content_hash);
        assert!(after.canonical.contains(r#""endorsements":[{"dossier":"HS-2026-0042","legal_basis":"#));
        // The paper printed before no longer matches the content; the new one does.
        let public = key().verifying_key();
        assert_eq!(qr::verify_offline(&before.qr_payload, &public, &content), Err(VerifyError::ContentMismatch));
        assert!(qr::verify_offline(&after.qr_payload, &public, &content).is_ok());
        // Stored and read back, the endorsement keeps its bytes.
        let stored: Content = serde_json::from_str(&after.canonical).unwrap();
        assert_eq!(stored.canonical(), after.canonical);

        let second = content.endorse(day(9), "Xóa đăng ký thế chấp", "Đơn yêu cầu xóa đăng ký", None).unwrap();
        assert_eq!((second.seq, second.dossier.as_deref()), (2, None));
        for (on, text, basis, dossier, pointer) in [
            (day(8), "Sớm hơn", "Căn cứ", None, "/recorded_on"),
            (NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), "Trước khi cấp", "Căn cứ", None, "/recorded_on"),
            (day(9), "   ", "Căn cứ", None, "/text"),
            (day(9), "Nội dung", "", None, "/legal_basis"),
            (day(9), "Có ký tự \u{0} lạ", "Căn cứ", None, "/text"),
            (day(9), "Nội dung", "Căn cứ", Some("x".repeat(65).as_str()), "/dossier"),
            (day(9), &"a".repeat(MAX_ENDORSEMENT_TEXT + 1), "Căn cứ", None, "/text"),
        ] {
            let mut c = content.clone();
            assert_eq!(c.endorse(on, text, basis, dossier).unwrap_err().pointer, pointer, "{text:?}");
            assert_eq!(c, content, "a refused endorsement changes nothing");
        }
    }

    #[test]
    fn first_scheme_payloads_still_verify_on_their_own() {
        let content = sample_content();
        let payload = first_scheme_payload(&content, &key(), "https://gcn.example.vn");
        assert_eq!(verify_offline(&payload, &key().verifying_key()), Ok(content.clone()));
        let other = SigningKey::from_bytes(&[8u8; 32]).verifying_key();
        assert_eq!(verify_offline(&payload, &other), Err(VerifyError::BadSignature));
        let moved = payload.replace("/verify/ĐC00000042", "/verify/ĐC00000043");
        assert!(matches!(verify_offline(&moved, &key().verifying_key()), Err(VerifyError::SerialMismatch { .. })));
        let kid = key_id("92", &key().verifying_key());
        let wrong_kid = payload.replace(&format!("k={kid}"), "k=92-00000000");
        assert!(matches!(verify_offline(&wrong_kid, &key().verifying_key()), Err(VerifyError::KeyMismatch { .. })));
        assert!(matches!(
            verify_offline("https://x/certificates/verify/ĐC00000042", &key().verifying_key()),
            Err(VerifyError::Malformed(_))
        ));
        // Today's payloads carry no content: the old entry point says where to go instead.
        let reference = seal(&content, &key(), "https://gcn.example.vn").qr_payload;
        assert!(
            matches!(verify_offline(&reference, &key().verifying_key()), Err(VerifyError::Malformed(m)) if m.contains("qr::verify_offline"))
        );
    }

    #[test]
    fn every_single_byte_change_of_an_embedded_content_is_caught() {
        let content = sample_content();
        let payload = first_scheme_payload(&content, &key(), "https://gcn.example.vn");
        let parts = parse_payload(&payload).unwrap();
        let public = key().verifying_key();
        let (url, _) = payload.split_once('#').unwrap();
        for i in 0..parts.canonical.len() {
            let mut bytes = parts.canonical.clone();
            bytes[i] ^= 0x01;
            let tampered = format!(
                "{url}#c={}&k={}&s={}",
                URL_SAFE_NO_PAD.encode(&bytes),
                parts.key_id,
                URL_SAFE_NO_PAD.encode(&parts.signature)
            );
            assert!(verify_offline(&tampered, &public).is_err(), "byte {i} changed but the payload verified");
        }
    }
}
