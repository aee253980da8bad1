//! Thành phần hồ sơ — the documents handed in at the desk, compared with the procedure's list
//! (the catalogue's `required_documents`). The desk sees what is missing before it gives a
//! receipt: an incomplete dossier is refused (hướng dẫn bổ sung một lần, đầy đủ), unless the
//! officer accepts it with a written note.

/// One document as listed on the receipt slip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandedIn<'a> {
    /// The title as written by the desk, e.g. "Hợp đồng thế chấp số HĐTC-45/2026".
    pub title: &'a str,
    /// The position (from 1) in the procedure's list that this document fulfils, when the
    /// desk says so explicitly; otherwise the title is matched.
    pub requirement: Option<usize>,
}

/// A document that names a position the procedure's list does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("document {index} names requirement {requirement}, but the procedure lists {count} document(s)")]
pub struct UnknownRequirement {
    /// Position of the document in the list handed in, from 0.
    pub index: usize,
    /// The requirement it names.
    pub requirement: usize,
    /// How many documents the procedure requires.
    pub count: usize,
}

/// Lower case, single spaces, trimmed: how titles are compared.
fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Whether a handed-in title fulfils a required one: the same words, or the required title
/// followed by its particulars ("Hợp đồng thế chấp" ← "Hợp đồng thế chấp số HĐTC-45/2026"),
/// case and spacing ignored. A longer word is not a match ("Đơn" is not "Đơnx").
pub fn fulfils(title: &str, required: &str) -> bool {
    let (title, required) = (normalise(title), normalise(required));
    if required.is_empty() {
        return false;
    }
    match title.strip_prefix(&required) {
        Some(rest) => rest.chars().next().is_none_or(|c| !c.is_alphanumeric()),
        None => false,
    }
}

/// The required documents that nothing handed in fulfils, in the procedure's order.
pub fn missing(required: &[String], handed_in: &[HandedIn<'_>]) -> Result<Vec<String>, UnknownRequirement> {
    let mut met = vec![false; required.len()];
    for (index, doc) in handed_in.iter().enumerate() {
        match doc.requirement {
            Some(requirement) => {
                let slot = requirement.checked_sub(1).and_then(|i| met.get_mut(i)).ok_or(UnknownRequirement {
                    index,
                    requirement,
                    count: required.len(),
                })?;
                *slot = true;
            }
            None => {
                for (i, req) in required.iter().enumerate() {
                    if fulfils(doc.title, req) {
                        met[i] = true;
                    }
                }
            }
        }
    }
    Ok(required.iter().zip(met).filter(|(_, met)| !met).map(|(r, _)| r.clone()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(title: &str) -> HandedIn<'_> {
        HandedIn { title, requirement: None }
    }

    #[test]
    fn titles_match_by_words_with_particulars_allowed() {
        let table = [
            ("Đơn đăng ký biến động (Mẫu 18)", "Đơn đăng ký biến động (Mẫu 18)", true),
            ("  đơn đăng ký  biến động (mẫu 18) ", "Đơn đăng ký biến động (Mẫu 18)", true),
            ("Hợp đồng thế chấp số HĐTC-45/2026", "Hợp đồng thế chấp", true),
            ("Giấy chứng nhận đã cấp (bản gốc)", "Giấy chứng nhận đã cấp", true),
            ("Hợp đồng chuyển nhượng", "Hợp đồng hoặc văn bản chuyển quyền", false),
            ("Đơnx", "Đơn", false),
            ("Giấy chứng nhận", "Giấy chứng nhận đã cấp", false),
            ("anything", "", false),
        ];
        for (title, required, expected) in table {
            assert_eq!(fulfils(title, required), expected, "{title:?} for {required:?}");
        }
    }

    #[test]
    fn missing_lists_what_nothing_fulfils_in_the_procedures_order() {
        let required: Vec<String> =
            ["Đơn đăng ký biến động (Mẫu 18)", "Hợp đồng hoặc văn bản chuyển quyền", "Giấy chứng nhận đã cấp"]
                .map(String::from)
                .to_vec();
        assert_eq!(missing(&required, &[]).unwrap(), required);
        let handed = [doc("Đơn đăng ký biến động (Mẫu 18)"), doc("Hợp đồng chuyển nhượng")];
        assert_eq!(
            missing(&required, &handed).unwrap(),
            ["Hợp đồng hoặc văn bản chuyển quyền", "Giấy chứng nhận đã cấp"]
        );
        // The desk may say which requirement a differently titled document fulfils.
        let handed = [
            doc("Đơn đăng ký biến động (Mẫu 18)"),
            HandedIn { title: "Hợp đồng chuyển nhượng số 12/2026", requirement: Some(2) },
            doc("Giấy chứng nhận đã cấp số AD 01234567"),
        ];
        assert!(missing(&required, &handed).unwrap().is_empty());
        // A position the list does not have is the caller's error.
        let err = missing(&required, &[HandedIn { title: "x", requirement: Some(4) }]).unwrap_err();
        assert_eq!(err, UnknownRequirement { index: 0, requirement: 4, count: 3 });
        assert!(missing(&required, &[HandedIn { title: "x", requirement: Some(0) }]).is_err());
        // A procedure with no list misses nothing.
        assert!(missing(&[], &[doc("x")]).unwrap().is_empty());
    }
}
