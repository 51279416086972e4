//! Satisfaction surveys: the survey page's view and the responses as administrators list them.

use serde::Serialize;

use super::people::Named;

/// One response as administrators list it.
#[derive(Debug, Serialize)]
pub struct ResponseView {
    pub id: i64,
    pub rating: i16,
    pub feedback_message: Option<String>,
    pub conversation_id: Option<i64>,
    pub inbox_id: i64,
    pub message_id: i64,
    pub contact: Option<Named>,
    pub assigned_agent: Option<Named>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a survey page shows: the conversation's latest survey and its answer, if any.
#[derive(Debug, Serialize)]
pub struct SurveyPage {
    pub conversation_uuid: String,
    pub inbox_name: String,
    pub message_id: i64,
    pub content: Option<String>,
    pub answered: bool,
    pub rating: Option<i16>,
    pub feedback_message: Option<String>,
    pub created_at: i64,
}
