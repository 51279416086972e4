//! Contacts: the people (and WhatsApp groups) an account talks to.

use crate::ValidationError;

/// An E.164 number: `+`, a non-zero country digit, 7 to 15 digits in all. Spaces, dashes, dots
/// and parentheses people type are dropped first.
pub fn phone_number(field: &str, raw: &str) -> Result<String, ValidationError> {
    let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
    let invalid = || ValidationError::invalid(field, "must be in E.164 format, e.g. +573001234567");
    let digits = compact.strip_prefix('+').ok_or_else(invalid)?;
    let ok = (7..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) && !digits.starts_with('0');
    if ok {
        Ok(compact)
    } else {
        Err(invalid())
    }
}

/// A name as the retailer API splits it: the first word, and the rest.
pub fn split_name(name: &str) -> (String, String) {
    match name.trim().split_once(' ') {
        Some((first, last)) => (first.to_string(), last.trim().to_string()),
        None => (name.trim().to_string(), String::new()),
    }
}

/// The ISO 3166 region a phone number belongs to (`+593…` → `EC`), by libphonenumber's rules.
pub fn phone_region(phone: &str) -> Option<String> {
    let parsed = phonenumber::parse(None, phone).ok()?;
    parsed.country().id().map(|id| id.as_ref().to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupType {
    Individual,
    Group,
}

impl GroupType {
    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "individual" => Ok(Self::Individual),
            "group" => Ok(Self::Group),
            _ => Err(ValidationError::new(field, "inclusion", "must be individual or group")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Individual => "individual",
            Self::Group => "group",
        }
    }
}

/// How the contact list may be ordered; `-` in front means descending, as in the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactSort {
    Name,
    Email,
    PhoneNumber,
    LastActivityAt,
    CreatedAt,
}

impl ContactSort {
    /// Lenient: anything unknown falls back to the default (name, ascending).
    pub fn parse(raw: Option<&str>) -> (Self, bool) {
        let raw = raw.unwrap_or("name").trim();
        let (desc, key) = match raw.strip_prefix('-') {
            Some(k) => (true, k),
            None => (false, raw),
        };
        let sort = match key {
            "email" => Self::Email,
            "phone_number" => Self::PhoneNumber,
            "last_activity_at" => Self::LastActivityAt,
            "created_at" => Self::CreatedAt,
            "name" => Self::Name,
            _ => return (Self::Name, false),
        };
        (sort, desc)
    }
}

/// Contact labels: the same word rules as account labels, deduplicated, order kept.
pub fn label_list(field: &str, raw: &[String]) -> Result<Vec<String>, ValidationError> {
    if raw.len() > crate::limits::MAX_LABELS {
        return crate::limits::labels(field, raw.to_vec());
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, title) in raw.iter().enumerate() {
        let title = crate::inbox::label_title(&format!("{field}[{i}]"), title)?;
        if !out.contains(&title) {
            out.push(title);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_e164() {
        assert_eq!(phone_number("p", "+57 300 123-4567").ok(), Some("+573001234567".into()));
        for bad in ["3001234567", "+0123456789", "+12", "+1234567890123456", "+57abc1234567", ""] {
            assert!(phone_number("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sort_is_lenient() {
        assert_eq!(ContactSort::parse(Some("-last_activity_at")), (ContactSort::LastActivityAt, true));
        assert_eq!(ContactSort::parse(Some("email")), (ContactSort::Email, false));
        assert_eq!(ContactSort::parse(Some("bogus")), (ContactSort::Name, false));
        assert_eq!(ContactSort::parse(None), (ContactSort::Name, false));
    }

    #[test]
    fn label_lists_are_normalised() {
        let raw = vec!["VIP".to_string(), "vip".to_string(), "lead".to_string()];
        assert_eq!(label_list("labels", &raw).ok(), Some(vec!["vip".to_string(), "lead".to_string()]));
        assert_eq!(label_list("labels", &["a b".to_string()]).err().map(|e| e.field), Some("labels[0]".into()));
    }
}

/// Merging two contacts: the base keeps what it has; what it lacks comes from the mergee.
/// Attribute maps merge key by key with the base winning; labels are the union.
pub fn merge_json(base: &serde_json::Value, mergee: &serde_json::Value) -> serde_json::Value {
    let mut out = mergee.as_object().cloned().unwrap_or_default();
    if let Some(b) = base.as_object() {
        for (k, v) in b {
            out.insert(k.clone(), v.clone());
        }
    }
    serde_json::Value::Object(out)
}

pub fn merge_labels(base: &[String], mergee: &[String]) -> Vec<String> {
    let mut out = base.to_vec();
    out.extend(mergee.iter().filter(|l| !base.contains(l)).cloned());
    out
}

#[cfg(test)]
mod merge_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn base_wins_and_gaps_are_filled() {
        assert_eq!(merge_json(&json!({ "a": 1, "b": 2 }), &json!({ "b": 9, "c": 3 })), json!({ "a": 1, "b": 2, "c": 3 }));
        assert_eq!(merge_labels(&["vip".into()], &["lead".into(), "vip".into()]), vec!["vip".to_string(), "lead".to_string()]);
    }
}

#[cfg(test)]
mod region_tests {
    use super::*;

    #[test]
    fn regions_come_from_the_number() {
        assert_eq!(phone_region("+593999999999").as_deref(), Some("EC"));
        assert_eq!(phone_region("+573001112222").as_deref(), Some("CO"));
        assert_eq!(phone_region("+12036534789").as_deref(), Some("US"));
        assert_eq!(phone_region("not a number"), None);
    }
}

/// Identity verification of the public client API (the reference's `identifier_hash`): a
/// contact's `identifier` is proven by `HMAC-SHA256(inbox hmac_token, identifier)` in hex.
pub mod identity {
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    /// Why an identifier was not accepted: the request is answered 401.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Refused {
        /// The inbox requires a hash and none was given.
        Missing,
        /// The hash does not match the identifier.
        Wrong,
    }

    /// Whether `hash` is the identifier's HMAC under `token` (compared in constant time).
    pub fn hash_matches(token: &str, identifier: &str, hash: &str) -> bool {
        let Ok(bytes) = hex::decode(hash.trim()) else { return false };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(token.as_bytes()) else { return false };
        mac.update(identifier.as_bytes());
        mac.verify_slice(&bytes).is_ok()
    }

    /// Whether the identifier is proven (true), merely claimed (false), or refused. A given hash
    /// must match; with `mandatory`, an identifier needs one. No identifier: an anonymous visitor.
    pub fn check(mandatory: bool, token: &str, identifier: Option<&str>, hash: Option<&str>) -> Result<bool, Refused> {
        let identifier = identifier.map(str::trim).filter(|i| !i.is_empty());
        match (identifier, hash.map(str::trim).filter(|h| !h.is_empty())) {
            (Some(id), Some(h)) if hash_matches(token, id, h) => Ok(true),
            (_, Some(_)) => Err(Refused::Wrong),
            (Some(_), None) if mandatory => Err(Refused::Missing),
            _ => Ok(false),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn sign(token: &str, id: &str) -> String {
            let mut mac = Hmac::<Sha256>::new_from_slice(token.as_bytes()).unwrap();
            mac.update(id.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }

        #[test]
        fn a_hash_proves_an_identifier_and_a_required_one_must_be_there() {
            let good = sign("tok", "user-1");
            assert_eq!(check(true, "tok", Some("user-1"), Some(&good)), Ok(true));
            assert_eq!(check(false, "tok", Some("user-1"), Some(&good)), Ok(true));
            assert_eq!(check(false, "tok", Some("user-2"), Some(&good)), Err(Refused::Wrong));
            assert_eq!(check(false, "tok", Some("user-1"), Some("zz")), Err(Refused::Wrong));
            assert_eq!(check(true, "tok", Some("user-1"), None), Err(Refused::Missing));
            assert_eq!(check(false, "tok", Some("user-1"), None), Ok(false));
            assert_eq!(check(true, "tok", None, None), Ok(false), "an anonymous visitor");
        }
    }
}
