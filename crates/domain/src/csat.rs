//! CSAT surveys: when one is sent, what an answer must hold, and the metrics of a set of answers.

use serde_json::Value;

use crate::conversations::Status;
use crate::ValidationError;

/// The survey message's text (its `content_type` is `input_csat`).
pub const SURVEY_TEXT: &str = "Please rate this conversation";
/// The survey as text on a channel without a survey widget (WhatsApp): answered with a number.
pub const SURVEY_QUESTION: &str = "Please rate this conversation: reply with a number from 1 (poor) to 5 (excellent).";

/// A customer's reply on the channel read as a rating: a lone number from 1 to 5 (spaces, a
/// trailing period or star allowed, as people type them), or 1–5 stars. Anything else is an
/// ordinary message.
pub fn reply_rating(text: &str) -> Option<i16> {
    let t = text.trim().trim_end_matches(['.', '!']).trim();
    let stars = t.chars().filter(|c| *c == '⭐' || *c == '★').count();
    if stars > 0 && t.chars().all(|c| c == '⭐' || c == '★' || c.is_whitespace() || c == '\u{fe0f}') {
        return i16::try_from(stars).ok().filter(|n| (1..=5).contains(n));
    }
    let digits = t.trim_end_matches(['*', '⭐', '★']).trim();
    digits.parse::<i16>().ok().filter(|n| (1..=5).contains(n))
}

/// Whether resolving sends a survey: the inbox asks for them, and the conversation was not
/// resolved already (one survey per resolution).
pub fn surveys_on(enabled: bool, from: Status, to: Status) -> bool {
    enabled && to == Status::Resolved && from != Status::Resolved
}

/// An answer's rating (1–5) and feedback, from `submitted_values.csat_survey_response`.
pub fn answer(values: &Value) -> Result<(i16, Option<String>), ValidationError> {
    const FIELD: &str = "submitted_values.csat_survey_response";
    let response = values.get("csat_survey_response").ok_or_else(|| ValidationError::blank(FIELD))?;
    let rating = response
        .get("rating")
        .and_then(|r| r.as_i64().or_else(|| r.as_str().and_then(|s| s.trim().parse().ok())))
        .filter(|r| (1..=5).contains(r))
        .ok_or_else(|| ValidationError::invalid(&format!("{FIELD}.rating"), "must be a whole number from 1 to 5"))?;
    let feedback = match response.get("feedback_message") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.chars().count() > 2000 => {
            return Err(ValidationError::too_long(&format!("{FIELD}.feedback_message"), 2000))
        }
        Some(Value::String(s)) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Some(_) => return Err(ValidationError::invalid(&format!("{FIELD}.feedback_message"), "must be text")),
    };
    Ok((rating as i16, feedback))
}

/// The metrics of a set of answers: how many, the satisfaction score (the share rated 4 or 5,
/// in percent) and the response rate (answers per survey sent, in percent).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Metrics {
    pub total_count: i64,
    pub ratings_count: std::collections::BTreeMap<String, i64>,
    pub total_sent_messages_count: i64,
    pub satisfaction_score: f64,
    pub response_rate: f64,
}

pub fn metrics(by_rating: &[(i16, i64)], sent: i64) -> Metrics {
    let total: i64 = by_rating.iter().map(|(_, n)| n).sum();
    let satisfied: i64 = by_rating.iter().filter(|(r, _)| *r >= 4).map(|(_, n)| n).sum();
    let percent = |part: i64, whole: i64| if whole == 0 { 0.0 } else { (part as f64 * 10_000.0 / whole as f64).round() / 100.0 };
    Metrics {
        total_count: total,
        ratings_count: (1..=5).map(|r| (r.to_string(), by_rating.iter().find(|(x, _)| *x == r).map(|(_, n)| *n).unwrap_or(0))).collect(),
        total_sent_messages_count: sent,
        satisfaction_score: percent(satisfied, total),
        response_rate: percent(total, sent.max(total)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_survey_per_resolution() {
        assert!(surveys_on(true, Status::Open, Status::Resolved));
        assert!(!surveys_on(true, Status::Resolved, Status::Resolved));
        assert!(!surveys_on(false, Status::Open, Status::Resolved));
        assert!(!surveys_on(true, Status::Open, Status::Pending));
    }

    #[test]
    fn answers_need_a_rating_from_one_to_five() {
        let ok = json!({ "csat_survey_response": { "rating": 5, "feedback_message": " Great " } });
        assert_eq!(answer(&ok), Ok((5, Some("Great".into()))));
        assert_eq!(answer(&json!({ "csat_survey_response": { "rating": "3" } })), Ok((3, None)));
        let bad = answer(&json!({ "csat_survey_response": { "rating": 9 } })).unwrap_err();
        assert_eq!(bad.field, "submitted_values.csat_survey_response.rating");
        assert_eq!(answer(&json!({})).unwrap_err().field, "submitted_values.csat_survey_response");
    }

    #[test]
    fn channel_replies_that_are_ratings() {
        assert_eq!(reply_rating(" 5 "), Some(5));
        assert_eq!(reply_rating("4."), Some(4));
        assert_eq!(reply_rating("⭐⭐⭐"), Some(3));
        assert_eq!(reply_rating("6"), None);
        assert_eq!(reply_rating("5 stars, thanks"), None);
        assert_eq!(reply_rating("hola"), None);
    }

    #[test]
    fn metrics_are_shares_in_percent() {
        let m = metrics(&[(5, 2), (4, 1), (1, 1)], 8);
        assert_eq!((m.total_count, m.satisfaction_score, m.response_rate), (4, 75.0, 50.0));
        assert_eq!(m.ratings_count["2"], 0);
        assert_eq!(metrics(&[], 0).response_rate, 0.0);
    }
}
