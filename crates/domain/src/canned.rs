//! Canned responses: what a short code may be, and the content variables
//! (`{{contact.name}}`, `{{agent.name}}`, `{{conversation.id}}`, …) rendered when a message is
//! created from one. An unknown variable is left as written, never an error.

use std::collections::HashMap;

use crate::ValidationError;

pub const SHORT_CODE_MAX: usize = 100;
pub const CONTENT_MAX: usize = 10_000;

/// A short code: trimmed, not blank, no whitespace inside (it is typed after a slash).
pub fn short_code(field: &str, raw: &str) -> Result<String, ValidationError> {
    let code = raw.trim();
    if code.is_empty() {
        return Err(ValidationError::blank(field));
    }
    if code.chars().count() > SHORT_CODE_MAX {
        return Err(ValidationError::too_long(field, SHORT_CODE_MAX));
    }
    if code.chars().any(char::is_whitespace) {
        return Err(ValidationError::invalid(field, "must be one word (no spaces)"));
    }
    Ok(code.to_string())
}

pub fn content(field: &str, raw: &str) -> Result<String, ValidationError> {
    if raw.trim().is_empty() {
        return Err(ValidationError::blank(field));
    }
    if raw.chars().count() > CONTENT_MAX {
        return Err(ValidationError::too_long(field, CONTENT_MAX));
    }
    Ok(raw.to_string())
}

/// Replaces each `{{ name }}` whose name is in `values`; anything else stays as written.
pub fn render(template: &str, values: &HashMap<&str, String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                match values.get(name) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A name's first and last parts, as `{{contact.first_name}}` and `…last_name` give them.
pub fn name_parts(name: &str) -> (String, String) {
    let mut parts = name.split_whitespace();
    let first = parts.next().unwrap_or_default().to_string();
    let last = parts.next_back().map(str::to_string).unwrap_or_default();
    (first, last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_rendered_and_unknown_ones_left_as_written() {
        let values: HashMap<&str, String> = [("contact.name", "Carla".to_string()), ("agent.name", "Ada".to_string())].into();
        assert_eq!(render("Hi {{contact.name}}, {{ agent.name }} here", &values), "Hi Carla, Ada here");
        assert_eq!(render("{{contact.shoe_size}} and {{ unclosed", &values), "{{contact.shoe_size}} and {{ unclosed");
        assert_eq!(render("no variables", &values), "no variables");
        assert_eq!(name_parts("Carla María Ruiz"), ("Carla".to_string(), "Ruiz".to_string()));
    }

    #[test]
    fn short_codes_are_one_word() {
        assert_eq!(short_code("short_code", " welcome "), Ok("welcome".to_string()));
        assert_eq!(short_code("short_code", "two words").unwrap_err().field, "short_code");
        assert!(short_code("short_code", "  ").is_err());
        assert!(content("content", " ").is_err());
    }
}
