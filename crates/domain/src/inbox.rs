//! Inboxes, their channels, teams and labels.

use crate::ValidationError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum ChannelType {
    Api,
    Whatsapp,
}

impl ChannelType {
    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "api" => Ok(Self::Api),
            "whatsapp" => Ok(Self::Whatsapp),
            _ => Err(ValidationError::new(field, "inclusion", "is not a supported channel type (api, whatsapp)")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Whatsapp => "whatsapp",
        }
    }

    /// The class name the reference puts in `channel_type`.
    pub fn reference_name(self) -> &'static str {
        match self {
            Self::Api => "Channel::Api",
            Self::Whatsapp => "Channel::Whatsapp",
        }
    }

    /// The channel type a stored value names (the column is CHECK-constrained to these).
    pub fn from_column(raw: &str) -> Option<Self> {
        match raw {
            "api" => Some(Self::Api),
            "whatsapp" => Some(Self::Whatsapp),
            _ => None,
        }
    }
}

crate::text_columns!(ChannelType);

/// Who the contact sees as the sender of agents' replies.
pub fn sender_name_type(field: &str, raw: &str) -> Result<String, ValidationError> {
    match raw.trim() {
        v @ ("friendly" | "professional") => Ok(v.to_string()),
        _ => Err(ValidationError::new(field, "inclusion", "must be friendly or professional")),
    }
}

/// Label titles are lowercase words (letters, digits, `_` and `-`), as the reference stores them.
pub fn label_title(field: &str, raw: &str) -> Result<String, ValidationError> {
    let title = raw.trim().to_lowercase();
    if title.is_empty() {
        return Err(ValidationError::blank(field));
    }
    if title.chars().count() > 255 {
        return Err(ValidationError::too_long(field, 255));
    }
    if !title.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
        return Err(ValidationError::invalid(field, "may only contain letters, digits, '_' and '-' (no spaces)"));
    }
    Ok(title)
}

/// The label a free-form tag name becomes (another product's tags may hold spaces, ours may
/// not): lowercase, spaces as `_`, other punctuation dropped. `Test tag` → `test_tag`.
pub fn label_for_tag(field: &str, raw: &str) -> Result<String, ValidationError> {
    let title: String = raw
        .trim()
        .chars()
        .filter_map(|c| match c {
            c if c.is_whitespace() => Some('_'),
            c if c.is_alphanumeric() || c == '_' || c == '-' => Some(c),
            _ => None,
        })
        .collect();
    label_title(field, &title)
}

/// Team names are stored lowercase by the reference, which makes uniqueness case-insensitive.
pub fn team_name(field: &str, raw: &str) -> Result<String, ValidationError> {
    crate::text::required_name(field, raw).map(|n| n.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_titles_are_lowercase_words() {
        assert_eq!(label_title("title", " Billing-Q1 ").ok(), Some("billing-q1".into()));
        assert_eq!(label_title("title", "vip_ñ").ok(), Some("vip_ñ".into()));
        assert!(label_title("title", "two words").is_err());
        assert!(label_title("title", "").is_err());
        assert!(label_title("title", "a/b").is_err());
    }

    #[test]
    fn channel_types() {
        assert_eq!(ChannelType::parse("channel.type", "api").ok(), Some(ChannelType::Api));
        assert!(ChannelType::parse("channel.type", "email").is_err());
        assert_eq!(ChannelType::parse("channel.type", "whatsapp").ok(), Some(ChannelType::Whatsapp));
        assert_eq!(ChannelType::Api.reference_name(), "Channel::Api");
    }

    #[test]
    fn team_names_are_lowercased() {
        assert_eq!(team_name("name", " Sales ").ok(), Some("sales".into()));
    }
}

/// One day of an inbox's business hours, in the reference's shape.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WorkingDay {
    pub day_of_week: u8,
    #[serde(default)]
    pub closed_all_day: bool,
    #[serde(default)]
    pub open_all_day: bool,
    #[serde(default)]
    pub open_hour: Option<u8>,
    #[serde(default)]
    pub open_minutes: Option<u8>,
    #[serde(default)]
    pub close_hour: Option<u8>,
    #[serde(default)]
    pub close_minutes: Option<u8>,
}

/// The reference's default week: Monday to Friday 9:00–17:00, weekend closed.
pub fn default_working_hours() -> Vec<WorkingDay> {
    (0u8..7)
        .map(|day| {
            let weekend = day == 0 || day == 6;
            WorkingDay {
                day_of_week: day,
                closed_all_day: weekend,
                open_all_day: false,
                open_hour: (!weekend).then_some(9),
                open_minutes: (!weekend).then_some(0),
                close_hour: (!weekend).then_some(17),
                close_minutes: (!weekend).then_some(0),
            }
        })
        .collect()
}

/// Checks a submitted week: days 0–6 at most once each, and open days with a valid, ordered span.
pub fn validate_working_hours(field: &str, days: &[WorkingDay]) -> Result<(), ValidationError> {
    let mut seen = [false; 7];
    for (i, d) in days.iter().enumerate() {
        let at = |what: &str| format!("{field}[{i}].{what}");
        let day = usize::from(d.day_of_week);
        if day > 6 {
            return Err(ValidationError::invalid(&at("day_of_week"), "must be between 0 and 6"));
        }
        if std::mem::replace(&mut seen[day], true) {
            return Err(ValidationError::invalid(&at("day_of_week"), "appears more than once"));
        }
        if d.closed_all_day || d.open_all_day {
            continue;
        }
        let (Some(oh), Some(om), Some(ch), Some(cm)) = (d.open_hour, d.open_minutes, d.close_hour, d.close_minutes) else {
            return Err(ValidationError::blank(&at("open_hour")));
        };
        if oh > 23 || ch > 23 || om > 59 || cm > 59 {
            return Err(ValidationError::invalid(&at("open_hour"), "hours must be 0-23 and minutes 0-59"));
        }
        if (oh, om) >= (ch, cm) {
            return Err(ValidationError::invalid(&at("close_hour"), "must be after the opening time"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod working_hours_tests {
    use super::*;

    #[test]
    fn default_week_is_valid() {
        let week = default_working_hours();
        assert_eq!(week.len(), 7);
        assert!(week[0].closed_all_day && !week[1].closed_all_day);
        assert!(validate_working_hours("working_hours", &week).is_ok());
    }

    #[test]
    fn bad_weeks_are_refused() {
        let mut week = default_working_hours();
        week[1].close_hour = Some(8);
        assert_eq!(validate_working_hours("wh", &week).err().map(|e| e.field), Some("wh[1].close_hour".into()));
        let mut dup = default_working_hours();
        dup[2].day_of_week = 1;
        assert!(validate_working_hours("wh", &dup).is_err());
        let mut missing = default_working_hours();
        missing[3].open_hour = None;
        assert!(validate_working_hours("wh", &missing).is_err());
    }
}

#[cfg(test)]
mod tag_tests {
    use super::*;

    #[test]
    fn tags_with_spaces_become_labels() {
        assert_eq!(label_for_tag("t", " Test tag ").as_deref(), Ok("test_tag"));
        assert_eq!(label_for_tag("t", "VIP!").as_deref(), Ok("vip"));
        assert!(label_for_tag("t", "!!").is_err());
    }
}
