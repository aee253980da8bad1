//! The QR code's payload: a short signed reference to the certificate's content.
//!
//! `{base}/certificates/verify/{serial}?h={hash}&k={key id}&s={signature}`, ≈180 bytes with a
//! short base URL: a QR code of version ≤ 10 at error correction M, modules ≥ 0.35 mm at the
//! form's 2 × 2 cm, which a phone reads off paper. The content itself (≈1.3 kB with personal
//! data) is not in the code; it is printed on the certificate and kept by the office.
//!
//! - `h`: [`content_hash`] of the canonical content, 128 bits, base64url;
//! - `k`: the office's key id ([`key_id`]);
//! - `s`: Ed25519 signature (base64url) over [`signed_message`]: serial, key id and the whole
//!   SHA-256 of the canonical content.
//!
//! The reference holds no personal data, so it travels as a query string: a phone that opens
//! the link sends `h` to the server, which answers whether it is still the certificate's
//! current content (an endorsement after printing makes the paper outdated). An offline
//! verifier with the office's published key and the content recomputes the hash and checks
//! the signature ([`verify_offline`]). Payloads of the first scheme (content embedded after `#`,
//! see [`super::parse_payload`]) are still accepted.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, VerifyingKey};
use serde_json::Value;

use super::{
    canonical_json, content_digest, content_hash, is_certificate_serial, key_id, parse_payload, signed_message,
    Content, PayloadParts, VerifyError, QR_HASH_BYTES,
};

/// Path of the public verification endpoint; the serial follows.
pub const VERIFY_PATH: &str = "/certificates/verify/";
/// Longest public base URL whose payloads still fit a QR code of version 10 at error
/// correction M (213 bytes) for a serial holding one Đ.
pub const MAX_BASE_URL: usize = 49;
/// Characters of `h` (16 bytes) and `s` (64 bytes) in base64url without padding.
pub const HASH_CHARS: usize = 22;
pub const SIGNATURE_CHARS: usize = 86;

/// The QR payload of a sealed certificate. Non-ASCII letters of the serial (Đ) are
/// percent-encoded: the code holds a plain ASCII URI, which every reader decodes the same way.
pub fn payload(base_url: &str, serial: &str, content_hash: &str, key_id: &str, signature_b64: &str) -> String {
    format!(
        "{}{VERIFY_PATH}{}?h={content_hash}&k={key_id}&s={signature_b64}",
        base_url.trim_end_matches('/'),
        percent_encode(serial)
    )
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes; None for a broken escape or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `h`: exactly [`HASH_CHARS`] base64url characters for 16 bytes (canonical: no stray bits),
/// so two spellings of one hash cannot exist and comparing texts compares hashes.
pub fn parse_hash(text: &str) -> Result<[u8; QR_HASH_BYTES], String> {
    let bad = || format!("'{text}' is not a content hash: {HASH_CHARS} base64url characters (128 bits)");
    if text.len() != HASH_CHARS {
        return Err(bad());
    }
    URL_SAFE_NO_PAD.decode(text).ok().and_then(|b| b.try_into().ok()).ok_or_else(bad)
}

/// `s`: exactly [`SIGNATURE_CHARS`] base64url characters for a 64-byte Ed25519 signature.
pub fn parse_signature(text: &str) -> Result<Signature, String> {
    let bad = || format!("not an Ed25519 signature: {SIGNATURE_CHARS} base64url characters (64 bytes)");
    if text.len() != SIGNATURE_CHARS {
        return Err(bad());
    }
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    Signature::from_slice(&bytes).map_err(|_| bad())
}

/// `k`: a key id as [`key_id`] makes them, "92-1a2b3c4d".
pub fn is_key_id(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 11
        && b[..2].iter().all(u8::is_ascii_digit)
        && b[2] == b'-'
        && b[3..].iter().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
}

/// A signed reference read from a QR payload (shapes checked, nothing verified).
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub serial: String,
    /// `h` as printed (base64url).
    pub content_hash: String,
    pub key_id: String,
    pub signature: Signature,
}

/// A QR payload of either scheme.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// Today's: a signed reference.
    Reference(Reference),
    /// The first scheme: the canonical content embedded (see [`super::parse_payload`]).
    Embedded(PayloadParts),
}

/// Reads a QR payload: a signed reference (`?h=…&k=…&s=…`, or after `#`) or a payload of the
/// first scheme (`#c=…&k=…&s=…`). Every parameter once, none other.
pub fn parse(payload: &str) -> Result<Payload, VerifyError> {
    let malformed = |m: &str| VerifyError::Malformed(m.to_string());
    let (url, params) = payload.split_once(['?', '#']).ok_or_else(|| malformed("no parameters"))?;
    if params.split('&').any(|p| p.starts_with("c=")) {
        return parse_payload(payload).map(Payload::Embedded);
    }
    let serial = url
        .rsplit_once(VERIFY_PATH)
        .and_then(|(_, s)| percent_decode(s))
        .filter(|s| is_certificate_serial(s))
        .ok_or_else(|| malformed("the URL does not end in /certificates/verify/{serial}"))?;
    let (mut h, mut k, mut s) = (None, None, None);
    for pair in params.split('&') {
        let (name, value) = pair.split_once('=').ok_or_else(|| malformed("a parameter has no value"))?;
        let slot = match name {
            "h" => &mut h,
            "k" => &mut k,
            "s" => &mut s,
            _ => return Err(malformed("unknown parameter")),
        };
        if slot.replace(value).is_some() {
            return Err(malformed("a parameter is repeated"));
        }
    }
    let missing = |name: &str| VerifyError::Malformed(format!("parameter {name} is missing"));
    let h = h.ok_or_else(|| missing("h"))?;
    parse_hash(h).map_err(|e| VerifyError::Malformed(format!("parameter h: {e}")))?;
    let k = k.ok_or_else(|| missing("k"))?;
    if !is_key_id(k) {
        return Err(malformed("parameter k is not a key id"));
    }
    let signature = parse_signature(s.ok_or_else(|| missing("s"))?)
        .map_err(|e| VerifyError::Malformed(format!("parameter s: {e}")))?;
    Ok(Payload::Reference(Reference { serial, content_hash: h.to_string(), key_id: k.to_string(), signature }))
}

/// Which scheme a verified payload used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Reference,
    Embedded,
}

/// What [`verify_offline`] established: the office holding `key_id` sealed this content for
/// this serial.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub scheme: Scheme,
    pub serial: String,
    pub key_id: String,
    /// [`content_hash`] of the content checked.
    pub content_hash: String,
}

/// Checks a scanned QR payload offline: that `content` is the content it refers to, that it
/// is for the serial in the URL, and that the office whose public key is `key` sealed it.
/// `content` comes from the certificate (as printed) or from the office; a verifier holding it
/// as JSON uses [`verify_canonical`].
pub fn verify_offline(payload: &str, key: &VerifyingKey, content: &Content) -> Result<Verified, VerifyError> {
    verify_canonical(payload, key, content.canonical().as_bytes())
}

/// [`verify_offline`] for content given as its canonical JSON bytes ([`canonical_json`] of the
/// content object as the office returns it).
pub fn verify_canonical(payload: &str, key: &VerifyingKey, canonical: &[u8]) -> Result<Verified, VerifyError> {
    let value: Value =
        serde_json::from_slice(canonical).map_err(|e| VerifyError::Malformed(format!("content: {e}")))?;
    if canonical_json(&value).as_bytes() != canonical {
        return Err(VerifyError::NotCanonical);
    }
    let field =
        |name: &str| value[name].as_str().ok_or_else(|| VerifyError::Malformed(format!("content: {name} is missing")));
    let (serial, province) = (field("serial")?, field("province_code")?);
    let (scheme, url_serial, given_key_id) = match parse(payload)? {
        Payload::Reference(r) => {
            if r.serial != serial {
                return Err(VerifyError::SerialMismatch { url: r.serial, content: serial.to_string() });
            }
            let digest = content_digest(canonical);
            if content_hash(canonical) != r.content_hash {
                return Err(VerifyError::ContentMismatch);
            }
            key.verify_strict(&signed_message(&r.serial, &r.key_id, &digest), &r.signature)
                .map_err(|_| VerifyError::BadSignature)?;
            (Scheme::Reference, r.serial, r.key_id)
        }
        Payload::Embedded(parts) => {
            let signature = Signature::from_slice(&parts.signature)
                .map_err(|_| VerifyError::Malformed("the signature is not 64 bytes".into()))?;
            key.verify_strict(&parts.canonical, &signature).map_err(|_| VerifyError::BadSignature)?;
            if parts.canonical != canonical {
                return Err(VerifyError::ContentMismatch);
            }
            if parts.serial != serial {
                return Err(VerifyError::SerialMismatch { url: parts.serial, content: serial.to_string() });
            }
            (Scheme::Embedded, parts.serial, parts.key_id)
        }
    };
    let expected = key_id(province, key);
    if given_key_id != expected {
        return Err(VerifyError::KeyMismatch { given: given_key_id, expected });
    }
    Ok(Verified { scheme, serial: url_serial, key_id: given_key_id, content_hash: content_hash(canonical) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificate::print::qr_symbol;
    use crate::certificate::seal;
    use crate::certificate::tests::{first_scheme_payload, key, sample_content};
    use chrono::NaiveDate;
    use ed25519_dalek::SigningKey;
    use proptest::prelude::*;

    const BASE: &str = "https://gcn.example.vn";

    #[test]
    fn the_untouched_payload_verifies() {
        let content = sample_content();
        let sealed = seal(&content, &key(), BASE);
        let verified = verify_offline(&sealed.qr_payload, &key().verifying_key(), &content).unwrap();
        assert_eq!(
            verified,
            Verified {
                scheme: Scheme::Reference,
                serial: "ĐC00000042".into(),
                key_id: sealed.key_id.clone(),
                content_hash: sealed.content_hash.clone()
            }
        );
        // The JSON a verifier gets from the office, in any key order, verifies the same.
        let json = serde_json::to_value(&content).unwrap();
        assert!(verify_canonical(&sealed.qr_payload, &key().verifying_key(), canonical_json(&json).as_bytes()).is_ok());
        // `#` instead of `?` (a reader that keeps the reference away from the server) is fine.
        assert!(verify_offline(&sealed.qr_payload.replace('?', "#"), &key().verifying_key(), &content).is_ok());
    }

    #[test]
    fn one_changed_byte_of_the_content_fails() {
        let content = sample_content();
        let sealed = seal(&content, &key(), BASE);
        let public = key().verifying_key();
        for i in 0..sealed.canonical.len() {
            let mut bytes = sealed.canonical.clone().into_bytes();
            bytes[i] ^= 0x01;
            assert!(verify_canonical(&sealed.qr_payload, &public, &bytes).is_err(), "byte {i} changed but verified");
        }
        // A changed field that stays valid JSON is told apart as another content.
        let mut other = content.clone();
        other.parcel.area_m2 = 600.1;
        assert_eq!(verify_offline(&sealed.qr_payload, &public, &other), Err(VerifyError::ContentMismatch));
    }

    #[test]
    fn another_key_fails() {
        let content = sample_content();
        let sealed = seal(&content, &key(), BASE);
        let other = SigningKey::from_bytes(&[8u8; 32]).verifying_key();
        assert_eq!(verify_offline(&sealed.qr_payload, &other, &content), Err(VerifyError::BadSignature));
        // The other office's own seal with this payload's key id: the key id gives it away.
        let forged = seal(&content, &SigningKey::from_bytes(&[8u8; 32]), BASE);
        let relabelled = forged.qr_payload.replace(&forged.key_id, &sealed.key_id);
        assert_eq!(verify_offline(&relabelled, &key().verifying_key(), &content), Err(VerifyError::BadSignature));
        let wrong_kid = sealed.qr_payload.replace(&format!("k={}", sealed.key_id), &format!("k={}", forged.key_id));
        assert_eq!(verify_offline(&wrong_kid, &key().verifying_key(), &content), Err(VerifyError::BadSignature));
    }

    #[test]
    fn a_moved_serial_fails() {
        let content = sample_content();
        let sealed = seal(&content, &key(), BASE);
        let public = key().verifying_key();
        // The URL names another certificate: refused whether the content is this one …
        let moved = sealed.qr_payload.replace("%C4%90C00000042", "%C4%90C00000043");
        assert!(matches!(verify_offline(&moved, &public, &content), Err(VerifyError::SerialMismatch { .. })));
        // … or the other certificate's (same fields, its serial): the seal was not for it.
        let mut next = content.clone();
        next.serial = "ĐC00000043".into();
        assert!(matches!(verify_offline(&moved, &public, &next), Err(VerifyError::ContentMismatch)));
    }

    #[test]
    fn malformed_payloads_are_refused() {
        let content = sample_content();
        let sealed = seal(&content, &key(), BASE);
        let public = key().verifying_key();
        let good = &sealed.qr_payload;
        for bad in [
            "https://x/certificates/verify/ĐC00000042".to_string(),
            good.replace("?h=", "?x="),
            good.replace("&k=", "&h="),
            format!("{good}&h={}", sealed.content_hash),
            format!("{good}&c=e30"),
            good.replace(&sealed.content_hash, &sealed.content_hash[..21]),
            good.replace(&sealed.signature, &sealed.signature[1..]),
            good.replace("&k=92-", "&k=9X-"),
            good.replace("/verify/%C4%90", "/verify/%C4"),
            good.replace("/certificates/verify/", "/certificates/"),
        ] {
            assert!(matches!(verify_offline(&bad, &public, &content), Err(VerifyError::Malformed(_))), "{bad}");
        }
        // The 22nd character holds 2 bits and 4 zero bits (A, Q, g or w): with a stray bit set
        // it is not another spelling of the same hash.
        let mut respelled = sealed.content_hash.clone();
        let last = respelled.pop().unwrap();
        assert!("AQgw".contains(last), "{last}");
        respelled.push(char::from(last as u8 + 1));
        assert!(parse_hash(&respelled).is_err());
        assert!(parse_hash(&sealed.content_hash).is_ok());
    }

    #[test]
    fn first_scheme_payloads_verify_against_their_content() {
        let content = sample_content();
        let old = first_scheme_payload(&content, &key(), BASE);
        let public = key().verifying_key();
        let verified = verify_offline(&old, &public, &content).unwrap();
        assert_eq!(verified.scheme, Scheme::Embedded);
        let mut changed = content.clone();
        changed.notes = Some("khác".into());
        assert_eq!(verify_offline(&old, &public, &changed), Err(VerifyError::ContentMismatch));
        assert_eq!(
            verify_offline(&old, &SigningKey::from_bytes(&[8u8; 32]).verifying_key(), &content),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn the_reference_fits_a_qr_code_of_version_10_at_m() {
        // The longest base URL that still fits version 10 at M with a serial holding Đ.
        let base = format!("https://{}.gov.vn", "a".repeat(MAX_BASE_URL - "https://.gov.vn".len()));
        assert_eq!(base.len(), MAX_BASE_URL);
        let mut content = sample_content();
        for (base, serial) in
            [(BASE, "ĐC00000042"), ("http://127.0.0.1:54321", "AB00000001"), (base.as_str(), "ĐC99999999")]
        {
            content.serial = serial.into();
            let sealed = seal(&content, &key(), base);
            let symbol = qr_symbol(&sealed.qr_payload).unwrap();
            assert!(sealed.qr_payload.is_ascii(), "{}", sealed.qr_payload);
            assert_eq!(symbol.ec, 'M', "{}", sealed.qr_payload);
            assert!(symbol.version <= 10, "{} bytes: version {}", sealed.qr_payload.len(), symbol.version);
            assert!(symbol.module_mm() >= 0.35, "{} mm", symbol.module_mm());
            println!(
                "{} bytes → version {} at {}, {}×{} modules, {:.3} mm each at 20 mm",
                sealed.qr_payload.len(),
                symbol.version,
                symbol.ec,
                symbol.modules,
                symbol.modules,
                symbol.module_mm()
            );
        }
        // Endorsements do not grow the code: the content is referred to, not carried.
        content.serial = "ĐC00000042".into();
        let plain = seal(&content, &key(), BASE).qr_payload.len();
        for d in 1..=20 {
            let on = NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
            content.endorse(on, &"Thế chấp tại Ngân hàng Thử ".repeat(20), "Hợp đồng thế chấp", None).unwrap();
        }
        assert_eq!(seal(&content, &key(), BASE).qr_payload.len(), plain);
    }

    proptest! {
        #[test]
        fn any_changed_character_of_the_reference_fails(index in 0usize..256, replacement in 32u8..=126) {
            let content = sample_content();
            let sealed = seal(&content, &key(), BASE);
            // The reference: the serial and everything after it (the host is not sealed; an
            // offline verifier does not use it).
            let start = sealed.qr_payload.find(VERIFY_PATH).unwrap() + VERIFY_PATH.len();
            let bytes = sealed.qr_payload.as_bytes();
            let i = start + index % (bytes.len() - start);
            prop_assume!(bytes[i] != replacement);
            let mut changed = bytes.to_vec();
            changed[i] = replacement;
            let text = String::from_utf8(changed).unwrap();
            // '?' and '#' are both accepted before the parameters.
            prop_assume!(!(bytes[i] == b'?' && replacement == b'#'));
            // The hex digits of a percent escape are case-insensitive (RFC 3986 §2.1): "%c4" is
            // the same serial as "%C4", not a changed reference.
            let in_escape = (i >= 1 && bytes[i - 1] == b'%') || (i >= 2 && bytes[i - 2] == b'%');
            prop_assume!(!(in_escape && bytes[i].is_ascii_hexdigit() && bytes[i].eq_ignore_ascii_case(&replacement)));
            prop_assert!(verify_offline(&text, &key().verifying_key(), &content).is_err(), "{}", text);
        }
    }
}
