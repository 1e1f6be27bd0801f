//! User identities: phone numbers / WA IDs, business-scoped user ids (BSUIDs), and the
//! blocklist entry that pairs them.

/// Phone number or WA ID to digits: trim; drop spaces, `-`, `(`, `)`, `.`; one optional
/// leading `+`; then 5 to 15 digits.
pub(crate) fn normalize_phone(input: &str) -> Option<String> {
    let t = input.trim();
    let t = t.strip_prefix('+').unwrap_or(t);
    let mut digits = String::with_capacity(t.len());
    for c in t.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '(' | ')' | '.' => {}
            _ => return None,
        }
    }
    (5..=15).contains(&digits.len()).then_some(digits)
}

/// A BSUID: two upper-case letters, a dot, 1 to 128 ASCII alphanumerics. Parent BSUIDs
/// (`CC.ENT.xxx`) do not match.
pub(crate) fn is_bsuid(input: &str) -> bool {
    let b = input.as_bytes();
    b.len() >= 4
        && b.len() <= 131
        && b[0].is_ascii_uppercase()
        && b[1].is_ascii_uppercase()
        && b[2] == b'.'
        && b[3..].iter().all(u8::is_ascii_alphanumeric)
}

/// A user given to a control endpoint: a phone number / WA ID, or a BSUID.
pub(super) enum Ident {
    Wa(String),
    Bsuid(String),
}

pub(super) fn parse_ident(s: &str) -> Option<Ident> {
    if is_bsuid(s) {
        Some(Ident::Bsuid(s.to_string()))
    } else {
        normalize_phone(s).map(Ident::Wa)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub wa_id: Option<String>,
    pub user_id: Option<String>,
}

impl Entry {
    pub(super) fn keys(&self) -> impl Iterator<Item = &String> {
        self.wa_id.iter().chain(self.user_id.iter())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn identifiers() {
        assert_eq!(
            normalize_phone("+1 (650) 555-1234").as_deref(),
            Some("16505551234")
        );
        assert_eq!(normalize_phone("1234"), None);
        assert_eq!(normalize_phone("+1650555123x"), None);
        assert!(is_bsuid("US.13491208655302741918"));
        assert!(!is_bsuid("US.ENT.1349"));
        assert!(!is_bsuid("us.1349"));
    }
}
