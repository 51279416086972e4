//! Help center rules: slugs, article states, locales and their text-search language, and the
//! Markdown that customers read, rendered and then sanitized so it can never carry script.

use serde_json::Value;

use crate::ValidationError;

/// A URL slug: lowercase letters, digits and dashes, 1–100 characters. Titles are turned into
/// one with `slugify`.
pub fn slug(field: &str, raw: &str) -> Result<String, ValidationError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(ValidationError::blank(field));
    }
    if s.len() > 100 {
        return Err(ValidationError::too_long(field, 100));
    }
    if !s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') || s.starts_with('-') {
        return Err(ValidationError::invalid(field, "may hold only lowercase letters, digits and dashes"));
    }
    Ok(s.to_string())
}

/// A slug from a title: ASCII letters and digits kept, the rest folded into single dashes.
/// Empty when the title has none (the caller then uses another source, such as an id).
pub fn slugify(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(100).collect()
}

/// An article's state. The reference stores 0, 1 and 2 and accepts either form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArticleStatus {
    Draft,
    Published,
    Archived,
}

impl ArticleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Archived => "archived",
        }
    }

    pub fn from_stored(s: &str) -> Self {
        match s {
            "published" => Self::Published,
            "archived" => Self::Archived,
            _ => Self::Draft,
        }
    }

    /// From a name or the reference's number.
    pub fn parse(field: &str, raw: &serde_json::Value) -> Result<Self, ValidationError> {
        match raw {
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(0) => Ok(Self::Draft),
                Some(1) => Ok(Self::Published),
                Some(2) => Ok(Self::Archived),
                _ => Err(ValidationError::invalid(field, "must be draft, published or archived (0, 1 or 2)")),
            },
            serde_json::Value::String(s) => match s.trim() {
                "draft" | "0" => Ok(Self::Draft),
                "published" | "1" => Ok(Self::Published),
                "archived" | "2" => Ok(Self::Archived),
                _ => Err(ValidationError::invalid(field, "must be draft, published or archived (0, 1 or 2)")),
            },
            _ => Err(ValidationError::invalid(field, "must be draft, published or archived (0, 1 or 2)")),
        }
    }
}

/// A locale code such as `en` or `pt_BR`.
pub fn locale(field: &str, raw: &str) -> Result<String, ValidationError> {
    let s = raw.trim();
    let ok = (2..=10).contains(&s.len())
        && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_alphabetic() || c == '_' || c == '-');
    if !ok {
        return Err(ValidationError::invalid(field, "must be a locale code such as en or pt_BR"));
    }
    Ok(s.to_string())
}

/// The PostgreSQL text-search configuration for a locale: its language's stemming where
/// PostgreSQL ships one, `simple` (no stemming) otherwise.
pub fn search_config(locale: &str) -> &'static str {
    let lang = locale.split(['_', '-']).next().unwrap_or("");
    match lang {
        "ar" => "arabic",
        "da" => "danish",
        "de" => "german",
        "el" => "greek",
        "en" => "english",
        "es" => "spanish",
        "fi" => "finnish",
        "fr" => "french",
        "hu" => "hungarian",
        "id" => "indonesian",
        "it" => "italian",
        "lt" => "lithuanian",
        "nb" | "no" => "norwegian",
        "nl" => "dutch",
        "pt" => "portuguese",
        "ro" => "romanian",
        "ru" => "russian",
        "sv" => "swedish",
        "tr" => "turkish",
        _ => "simple",
    }
}

/// Markdown as customer-facing HTML: rendered with pulldown-cmark, then cleaned by ammonia,
/// which keeps formatting, links and images and drops script, event handlers, `javascript:`
/// URLs and raw HTML it does not know.
pub fn render_markdown(markdown: &str) -> String {
    use pulldown_cmark::{Options, Parser};
    let parser = Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    ammonia::clean(&html)
}

/// A hex colour such as `#1F93FF`.
pub fn color(field: &str, raw: &str) -> Result<String, ValidationError> {
    let s = raw.trim();
    let ok = s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit());
    if !ok {
        return Err(ValidationError::invalid(field, "must be a hex colour such as #1F93FF"));
    }
    Ok(s.to_string())
}

/// A portal's locales from its stored config (codes, or `{code}` objects) and its default:
/// the configured one, else the first allowed, else `en`.
pub fn locales_of(config: &Value) -> (Vec<String>, String) {
    let allowed: Vec<String> = config
        .get("allowed_locales")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|l| l.as_str().or_else(|| l.get("code").and_then(Value::as_str))).map(str::to_string).collect())
        .unwrap_or_default();
    let default = config.get("default_locale").and_then(Value::as_str).map(str::to_string).or_else(|| allowed.first().cloned());
    (allowed, default.unwrap_or_else(|| "en".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered_and_never_carries_script() {
        let html = render_markdown("# Refunds\n\nSee **this** [link](https://example.com).\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))");
        assert!(html.contains("<h1>Refunds</h1>"));
        assert!(html.contains("<strong>this</strong>"));
        assert!(html.contains("href=\"https://example.com\""));
        let lower = html.to_lowercase();
        assert!(!lower.contains("<script"), "{html}");
        assert!(!lower.contains("onerror"), "{html}");
        assert!(!lower.contains("javascript:"), "{html}");
    }

    #[test]
    fn slugs_locales_and_states() {
        assert_eq!(slugify("How do I get a Refund?"), "how-do-i-get-a-refund");
        assert_eq!(slugify("¿Qué?"), "qu");
        assert_eq!(slugify("!!!"), "");
        assert!(slug("slug", "Bad Slug").is_err());
        assert_eq!(slug("slug", "handbook-2").ok(), Some("handbook-2".into()));
        assert_eq!(locale("locale", "pt_BR").ok(), Some("pt_BR".into()));
        assert!(locale("locale", "../x").is_err());
        assert_eq!(search_config("pt_BR"), "portuguese");
        assert_eq!(search_config("ja"), "simple");
        assert_eq!(ArticleStatus::parse("status", &serde_json::json!(1)).ok(), Some(ArticleStatus::Published));
        assert_eq!(ArticleStatus::parse("status", &serde_json::json!("archived")).ok(), Some(ArticleStatus::Archived));
        assert!(ArticleStatus::parse("status", &serde_json::json!(7)).is_err());
        assert!(color("color", "#12345G").is_err());
    }
}
