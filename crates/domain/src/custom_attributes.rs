//! Custom attribute definitions: their types and models, and the check of a value written to
//! a defined key (the type, the list's values, the regex). A failure names
//! `custom_attributes.<key>`; undefined keys are not checked, as in the reference.

use serde_json::Value;

use crate::ValidationError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisplayType {
    Text,
    Number,
    Currency,
    Percent,
    Link,
    Date,
    List,
    Checkbox,
}

impl DisplayType {
    pub const ALL: [Self; 8] =
        [Self::Text, Self::Number, Self::Currency, Self::Percent, Self::Link, Self::Date, Self::List, Self::Checkbox];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "number",
            Self::Currency => "currency",
            Self::Percent => "percent",
            Self::Link => "link",
            Self::Date => "date",
            Self::List => "list",
            Self::Checkbox => "checkbox",
        }
    }

    /// By name, or by the reference's number (text 0 … checkbox 7).
    pub fn parse(field: &str, raw: &Value) -> Result<Self, ValidationError> {
        let found = match raw {
            Value::Number(n) => n.as_u64().and_then(|i| Self::ALL.get(usize::try_from(i).ok()?).copied()),
            Value::String(s) => Self::ALL.into_iter().find(|t| t.as_str() == s.trim()),
            _ => None,
        };
        found.ok_or_else(|| ValidationError::invalid(field, "must be text, number, currency, percent, link, date, list or checkbox"))
    }

    pub fn from_stored(raw: &str) -> Self {
        Self::ALL.into_iter().find(|t| t.as_str() == raw).unwrap_or(Self::Text)
    }

    /// How the filters compare values of this type: numbers as numbers, dates as dates.
    pub const fn filter_kind(self) -> crate::filters::Kind {
        use crate::filters::Kind;
        match self {
            Self::Number | Self::Currency | Self::Percent => Kind::Decimal,
            Self::Date => Kind::Date,
            Self::Checkbox => Kind::Boolean,
            Self::Text | Self::Link | Self::List => Kind::Text,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    Conversation,
    Contact,
}

impl Model {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Conversation => "conversation_attribute",
            Self::Contact => "contact_attribute",
        }
    }

    /// `conversation_attribute`/`conversation`/0 or `contact_attribute`/`contact`/1.
    pub fn parse(field: &str, raw: &Value) -> Result<Self, ValidationError> {
        match raw {
            Value::Number(n) if n.as_u64() == Some(0) => Ok(Self::Conversation),
            Value::Number(n) if n.as_u64() == Some(1) => Ok(Self::Contact),
            Value::String(s) if matches!(s.trim(), "conversation_attribute" | "conversation" | "0") => Ok(Self::Conversation),
            Value::String(s) if matches!(s.trim(), "contact_attribute" | "contact" | "1") => Ok(Self::Contact),
            _ => Err(ValidationError::invalid(field, "must be conversation_attribute or contact_attribute")),
        }
    }
}

/// A key: letters, digits and underscores, as the reference derives them.
pub fn key(field: &str, raw: &str) -> Result<String, ValidationError> {
    let k = raw.trim();
    if k.is_empty() {
        return Err(ValidationError::blank(field));
    }
    if k.len() > 100 || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(ValidationError::invalid(field, "must be letters, digits and underscores (at most 100)"));
    }
    Ok(k.to_string())
}

/// A regex pattern, compiled with a size limit (a user's pattern must not cost the server).
pub fn pattern(field: &str, raw: &str) -> Result<regex::Regex, ValidationError> {
    regex::RegexBuilder::new(raw)
        .size_limit(1 << 20)
        .build()
        .map_err(|_| ValidationError::invalid(field, "is not a valid regular expression"))
}

/// What a definition says of its key.
#[derive(Debug, Clone)]
pub struct Definition<'a> {
    pub key: &'a str,
    pub display_type: DisplayType,
    pub values: &'a [Value],
    pub regex: Option<&'a str>,
    pub regex_cue: Option<&'a str>,
}

/// Checks one value written to a defined key; null always passes (it clears the key).
pub fn check(d: &Definition<'_>, value: &Value) -> Result<(), ValidationError> {
    let field = format!("custom_attributes.{}", d.key);
    let bad = |why: &str| Err(ValidationError::invalid(&field, why));
    if value.is_null() {
        return Ok(());
    }
    let as_number = || value.as_f64().or_else(|| value.as_str().and_then(|s| s.trim().parse::<f64>().ok()));
    match d.display_type {
        DisplayType::Number | DisplayType::Currency | DisplayType::Percent if as_number().is_none() => bad("must be a number"),
        DisplayType::Checkbox if !value.is_boolean() => bad("must be true or false"),
        DisplayType::Link => match value.as_str().and_then(|s| url::Url::parse(s.trim()).ok()) {
            Some(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
            _ => bad("must be an http or https link"),
        },
        DisplayType::Date => match value.as_str().map(str::trim) {
            Some(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() || chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() => {
                Ok(())
            }
            _ => bad("must be a date (YYYY-MM-DD or RFC 3339)"),
        },
        DisplayType::List => match value.as_str() {
            Some(s) if d.values.iter().any(|v| v.as_str() == Some(s)) => Ok(()),
            _ => bad("must be one of the attribute's values"),
        },
        DisplayType::Text => {
            let Some(s) = value.as_str() else { return bad("must be text") };
            match d.regex.map(|p| pattern(&field, p)) {
                Some(Ok(re)) if !re.is_match(s) => {
                    bad(d.regex_cue.filter(|c| !c.trim().is_empty()).unwrap_or("does not match the attribute's pattern"))
                }
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(display_type: DisplayType, values: &[Value], regex: Option<&'static str>) -> Definition<'static> {
        Definition { key: "k", display_type, values: Box::leak(values.to_vec().into_boxed_slice()), regex, regex_cue: None }
    }

    #[test]
    fn values_are_checked_by_type_list_and_pattern() {
        assert!(check(&def(DisplayType::Number, &[], None), &json!(3.5)).is_ok());
        assert!(check(&def(DisplayType::Number, &[], None), &json!("12")).is_ok());
        assert_eq!(check(&def(DisplayType::Number, &[], None), &json!("many")).unwrap_err().field, "custom_attributes.k");
        assert!(check(&def(DisplayType::Checkbox, &[], None), &json!("yes")).is_err());
        assert!(check(&def(DisplayType::Link, &[], None), &json!("https://x.example")).is_ok());
        assert!(check(&def(DisplayType::Link, &[], None), &json!("javascript:alert(1)")).is_err());
        assert!(check(&def(DisplayType::Date, &[], None), &json!("2026-11-30")).is_ok());
        assert!(check(&def(DisplayType::Date, &[], None), &json!("30/11/2026")).is_err());
        let list = [json!("gold"), json!("silver")];
        assert!(check(&def(DisplayType::List, &list, None), &json!("gold")).is_ok());
        assert!(check(&def(DisplayType::List, &list, None), &json!("bronze")).is_err());
        assert!(check(&def(DisplayType::Text, &[], Some("^[A-Z]{3}-\\d+$")), &json!("ABC-12")).is_ok());
        assert!(check(&def(DisplayType::Text, &[], Some("^[A-Z]{3}-\\d+$")), &json!("abc")).is_err());
        assert!(check(&def(DisplayType::Text, &[], None), &Value::Null).is_ok(), "null clears");
        assert_eq!(DisplayType::parse("t", &json!(6)), Ok(DisplayType::List));
        assert_eq!(Model::parse("m", &json!(1)), Ok(Model::Contact));
        assert!(pattern("p", "(").is_err());
        assert!(key("k", "order id").is_err());
    }
}
