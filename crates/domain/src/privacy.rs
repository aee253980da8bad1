//! What the public may see of a person: Vietnamese names masked to family name and initials.

/// Masks an individual's full name for public responses: the family name stays, every other
/// part becomes its initial ("Nguyễn Văn An" → "Nguyễn V. A."). Organisations are public and
/// are not passed through here.
pub fn mask_person_name(full_name: &str) -> String {
    let mut parts = full_name.split_whitespace();
    let Some(family) = parts.next() else { return String::new() };
    let mut out = family.to_string();
    for part in parts {
        if let Some(initial) = part.chars().next() {
            out.push(' ');
            out.extend(initial.to_uppercase());
            out.push('.');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::mask_person_name;

    #[test]
    fn masks_given_names() {
        assert_eq!(mask_person_name("Nguyễn Văn An"), "Nguyễn V. A.");
        assert_eq!(mask_person_name("  Trần   thị  Đào "), "Trần T. Đ.");
        assert_eq!(mask_person_name("Lê"), "Lê");
        assert_eq!(mask_person_name(""), "");
    }
}
