//! Small parsers for free-text fields shared by several resources.

use crate::ValidationError;

/// Longest name we accept for people, accounts, inboxes and teams.
pub const NAME_MAX: usize = 255;

/// A required, trimmed, bounded name.
pub fn required_name(field: &str, raw: &str) -> Result<String, ValidationError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(ValidationError::blank(field));
    }
    if name.chars().count() > NAME_MAX {
        return Err(ValidationError::too_long(field, NAME_MAX));
    }
    Ok(name.to_string())
}

/// An optional text: blank means "none".
pub fn optional_text(field: &str, raw: Option<&str>, max: usize) -> Result<Option<String>, ValidationError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > max => Err(ValidationError::too_long(field, max)),
        Some(v) => Ok(Some(v.to_string())),
    }
}

/// An http(s) URL, as webhooks and provider endpoints need.
pub fn http_url(field: &str, raw: &str) -> Result<String, ValidationError> {
    let parsed = url::Url::parse(raw.trim()).map_err(|_| ValidationError::invalid(field, "is not a valid URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ValidationError::invalid(field, "must be an http or https URL"));
    }
    Ok(parsed.to_string())
}

/// A hex colour such as `#1f93ff`.
pub fn color(field: &str, raw: &str) -> Result<String, ValidationError> {
    let v = raw.trim();
    let hex = v.strip_prefix('#').unwrap_or(v);
    if !(hex.len() == 3 || hex.len() == 6) || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ValidationError::invalid(field, "must be a hex colour like #1f93ff"));
    }
    Ok(format!("#{}", hex.to_ascii_lowercase()))
}

/// Drops U+0000 from every string and key. PostgreSQL's text and jsonb cannot hold it, and a
/// channel's payload may carry it; dropping the character keeps the rest of the message instead
/// of refusing the delivery forever.
pub fn without_nul(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) if s.contains('\0') => s.retain(|c| c != '\0'),
        Value::Array(items) => items.iter_mut().for_each(without_nul),
        Value::Object(map) => {
            if map.keys().any(|k| k.contains('\0')) {
                *map = std::mem::take(map).into_iter().map(|(k, v)| (k.replace('\0', ""), v)).collect();
            }
            map.values_mut().for_each(without_nul);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_required() {
        assert_eq!(required_name("name", "  Ana ").ok(), Some("Ana".into()));
        assert_eq!(required_name("name", "   ").err().map(|e| e.code), Some("blank"));
        assert_eq!(required_name("name", &"x".repeat(300)).err().map(|e| e.code), Some("too_long"));
    }

    #[test]
    fn urls_must_be_http() {
        assert!(http_url("webhook_url", "https://example.com/hook").is_ok());
        assert!(http_url("webhook_url", "ftp://example.com").is_err());
        assert!(http_url("webhook_url", "not a url").is_err());
    }

    #[test]
    fn colours_are_normalised() {
        assert_eq!(color("color", "#1F93FF").ok(), Some("#1f93ff".into()));
        assert_eq!(color("color", "abc").ok(), Some("#abc".into()));
        assert!(color("color", "#12").is_err());
        assert!(color("color", "red").is_err());
    }

    #[test]
    fn nul_characters_are_dropped_everywhere() {
        let mut v = serde_json::json!({"a\u{0}b": ["x\u{0}y", {"k": "\u{0}"}], "n": 1, "t": "plain"});
        without_nul(&mut v);
        assert_eq!(v, serde_json::json!({"ab": ["xy", {"k": ""}], "n": 1, "t": "plain"}));
    }
}

/// An account's slug, as integrators send it in a header: 3 to 63 lowercase letters, digits and
/// hyphens, not starting or ending with a hyphen.
pub fn slug(field: &str, raw: &str) -> Result<String, ValidationError> {
    let s = raw.trim();
    let ok = (3..=63).contains(&s.len())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(s.to_string())
    } else {
        Err(ValidationError::invalid(field, "must be 3 to 63 lowercase letters, digits and hyphens"))
    }
}

#[cfg(test)]
mod slug_tests {
    use super::*;

    #[test]
    fn slugs_are_header_safe() {
        assert_eq!(slug("slug", " acme-shop ").as_deref(), Ok("acme-shop"));
        for bad in ["ab", "Acme", "acme shop", "-acme", "acme-", "acmé", &"a".repeat(64)] {
            assert!(slug("slug", bad).is_err(), "{bad}");
        }
    }
}

/// A moment given as epoch seconds (a number or a numeric string) or RFC 3339; null or an
/// empty string is none.
pub fn timestamp(field: &str, v: &serde_json::Value) -> Result<Option<chrono::DateTime<chrono::Utc>>, ValidationError> {
    let invalid = || ValidationError::invalid(field, "must be a timestamp (epoch seconds or RFC 3339)");
    match v {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Number(n) => n.as_i64().and_then(|s| chrono::DateTime::from_timestamp(s, 0)).map(Some).ok_or_else(invalid),
        serde_json::Value::String(s) if s.trim().is_empty() => Ok(None),
        serde_json::Value::String(s) => {
            if let Ok(secs) = s.trim().parse::<i64>() {
                return chrono::DateTime::from_timestamp(secs, 0).map(Some).ok_or_else(invalid);
            }
            chrono::DateTime::parse_from_rfc3339(s.trim()).map(|t| Some(t.with_timezone(&chrono::Utc))).map_err(|_| invalid())
        }
        _ => Err(invalid()),
    }
}
