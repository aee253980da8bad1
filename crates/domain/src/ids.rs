//! Identifiers as types, parsed once where they enter (a path, a query, a body): a value of
//! one of these types has the right shape, so nothing further in needs to check it again.
//!
//! Each has `FromStr` (the error says what the identifier looks like), `Display`,
//! `AsRef<str>`, and serde as a plain string (deserialising checks the shape).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{certificate, geohash};

/// An identifier that does not have the required shape; the message says what it looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidId(pub &'static str);

macro_rules! identifier {
    ($(#[$meta:meta])* $name:ident, $valid:expr, $message:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// What a value looks like (the error message of a failed parse).
            pub const EXPECTED: &'static str = $message;

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;

            fn try_from(text: String) -> Result<Self, InvalidId> {
                let valid: fn(&str) -> bool = $valid;
                if valid(&text) {
                    Ok($name(text))
                } else {
                    Err(InvalidId($message))
                }
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;

            fn from_str(text: &str) -> Result<Self, InvalidId> {
                $name::try_from(text.to_string())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

fn digits(text: &str, n: usize) -> bool {
    text.len() == n && text.bytes().all(|b| b.is_ascii_digit())
}

identifier!(
    /// Mã thửa đất quốc gia: the 12-character GeoHash of a point inside the parcel.
    NationalId,
    geohash::is_national_id,
    "a national parcel id is 12 GeoHash characters (0-9, b-z without a, i, l, o)"
);

identifier!(
    /// Số phát hành of a certificate on record: two capital letters (A–Z, Đ) and 8 digits, or 6
    /// on blanks printed before 2025.
    CertificateSerial,
    certificate::is_certificate_serial,
    "a serial is two capital letters (A–Z, Đ) and 8 digits (6 on blanks printed before 2025)"
);

identifier!(
    /// Số biên nhận of a dossier: province code, the day received (YYMMDD) and the day's
    /// sequence, e.g. `92.261123.0001`.
    ReceiptNo,
    |text| {
        let parts: Vec<&str> = text.split('.').collect();
        matches!(parts.as_slice(), [p, d, s] if digits(p, 2) && digits(d, 6) && (4..=6).any(|n| digits(s, n)))
    },
    "a receipt number looks like 92.261123.0001"
);

identifier!(
    /// Mã xã: the 5-digit code of a commune.
    CommuneCode,
    |text| digits(text, 5),
    "a commune code is 5 digits"
);

identifier!(
    /// Mã tỉnh: the 2-digit code of a province.
    ProvinceCode,
    |text| digits(text, 2),
    "a province code is 2 digits"
);

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T>(text: &str)
    where
        T: FromStr<Err = InvalidId>
            + fmt::Display
            + AsRef<str>
            + Serialize
            + for<'de> Deserialize<'de>
            + fmt::Debug
            + PartialEq,
    {
        let id: T = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(id.to_string(), text);
        assert_eq!(id.as_ref(), text);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, serde_json::to_string(text).unwrap(), "serialises as a plain string");
        assert_eq!(serde_json::from_str::<T>(&json).unwrap(), id);
    }

    fn refused<T>(text: &str, message: &str)
    where
        T: FromStr<Err = InvalidId> + for<'de> Deserialize<'de> + fmt::Debug,
    {
        assert_eq!(text.parse::<T>().unwrap_err().to_string(), message, "{text}");
        let err = serde_json::from_str::<T>(&serde_json::to_string(text).unwrap()).unwrap_err();
        assert!(err.to_string().contains(message), "{text}: {err}");
    }

    #[test]
    fn national_ids() {
        round_trip::<NationalId>("w3gvk5bcjxqd");
        round_trip::<NationalId>("s00000000000");
        let m = NationalId::EXPECTED;
        assert!(m.contains("12 GeoHash"));
        for bad in ["", "abc", "w3gvk5ailjxq", "W3GVK5BCJXQD", "w3gvk5bcjxqd0", "w3gvk5bcjxq"] {
            refused::<NationalId>(bad, m);
        }
    }

    #[test]
    fn certificate_serials() {
        for good in ["AA01234567", "ĐC00000001", "ĐĐ99999999", "AB123456"] {
            round_trip::<CertificateSerial>(good);
        }
        for bad in ["", "af1", "aa01234567", "AA1234567", "ÂA01234567", "AA0123456X", "A01234567", "AAA0123456"] {
            refused::<CertificateSerial>(bad, CertificateSerial::EXPECTED);
        }
    }

    #[test]
    fn receipt_numbers() {
        for good in ["92.261123.0001", "01.250701.123456", "94.251231.12345"] {
            round_trip::<ReceiptNo>(good);
        }
        for bad in [
            "",
            "<script>",
            "92.261123.001",
            "92.261123.1234567",
            "9.261123.0001",
            "92.26112.0001",
            "92.261123",
            "92.261123.0001.",
            "92-261123-0001",
        ] {
            refused::<ReceiptNo>(bad, "a receipt number looks like 92.261123.0001");
        }
    }

    #[test]
    fn commune_and_province_codes() {
        round_trip::<CommuneCode>("31507");
        round_trip::<ProvinceCode>("92");
        for bad in ["", "3150", "315070", "3150a", " 31507"] {
            refused::<CommuneCode>(bad, "a commune code is 5 digits");
        }
        for bad in ["", "9", "092", "9a", "٩٢"] {
            refused::<ProvinceCode>(bad, "a province code is 2 digits");
        }
    }
}
