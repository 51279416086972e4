//! Reports as the API answers them: series points, summaries with the previous period, live
//! counts, per-channel and inbox × label figures, outgoing counts and the reporting events.

use chrono::{DateTime, Utc};
use serde::Serialize;
use switchboard_store::reports::ReportingEvent;

pub use super::people::Named;

/// One point of a series: `count` is what an average is over.
#[derive(Debug, Serialize)]
pub struct Point {
    pub value: f64,
    pub timestamp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
}

/// The summary's figures over one range.
#[derive(Debug, Serialize, Default, Clone, Copy)]
pub struct Figures {
    pub avg_first_response_time: f64,
    pub avg_resolution_time: f64,
    pub reply_time: f64,
    pub conversations_count: i64,
    pub incoming_messages_count: i64,
    pub outgoing_messages_count: i64,
    pub resolutions_count: i64,
    pub bot_resolutions_count: i64,
    pub bot_handoffs_count: i64,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    #[serde(flatten)]
    pub current: Figures,
    pub previous: Figures,
}

/// One agent's, inbox's or team's line of a summary report.
#[derive(Debug, Serialize)]
pub struct EntitySummary {
    pub id: i64,
    pub conversations_count: i64,
    pub resolved_conversations_count: i64,
    pub avg_resolution_time: Option<f64>,
    pub avg_first_response_time: Option<f64>,
    pub avg_reply_time: Option<f64>,
}

/// The account's live counts.
#[derive(Debug, Serialize)]
pub struct Live {
    pub open: i64,
    pub unattended: i64,
    pub unassigned: i64,
    pub pending: i64,
}

#[derive(Debug, Serialize)]
pub struct AgentLiveMetric {
    pub open: i64,
    pub unattended: i64,
}

/// An agent's live load, in the reference's shape.
#[derive(Debug, Serialize)]
pub struct AgentLive {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub thumbnail: String,
    pub availability: String,
    pub metric: AgentLiveMetric,
}

/// Conversations of one channel type by their status now.
#[derive(Debug, Serialize, Default)]
pub struct ChannelCounts {
    pub open: i64,
    pub resolved: i64,
    pub pending: i64,
    pub snoozed: i64,
    pub total: i64,
}

#[derive(Debug, Serialize)]
pub struct Titled {
    pub id: i64,
    pub title: String,
}

#[derive(Debug, Serialize)]
pub struct InboxLabelMatrix {
    pub inboxes: Vec<Named>,
    pub labels: Vec<Titled>,
    pub matrix: Vec<Vec<i64>>,
}

#[derive(Debug, Serialize)]
pub struct OutgoingCount {
    pub id: i64,
    pub name: String,
    pub outgoing_messages_count: i64,
}

/// A reporting event in the reference's shape.
#[derive(Debug, Serialize)]
pub struct EventView {
    pub id: i64,
    pub name: String,
    pub value: f64,
    pub value_in_business_hours: f64,
    pub event_start_time: DateTime<Utc>,
    pub event_end_time: DateTime<Utc>,
    pub account_id: i64,
    pub conversation_id: Option<i64>,
    pub inbox_id: Option<i64>,
    pub user_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ReportingEvent> for EventView {
    /// It was created when what it measures ended: derived again, it is the same row.
    fn from(e: ReportingEvent) -> Self {
        Self {
            id: e.id,
            name: e.name,
            value: e.value,
            value_in_business_hours: e.value_in_business_hours,
            event_start_time: e.event_start_time,
            event_end_time: e.event_end_time,
            account_id: e.account_id,
            conversation_id: e.conversation_id,
            inbox_id: e.inbox_id,
            user_id: e.user_id,
            created_at: e.event_end_time,
            updated_at: e.event_end_time,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct EventMeta {
    pub count: i64,
    pub current_page: i64,
    pub total_pages: i64,
}

#[derive(Debug, Serialize)]
pub struct EventPage {
    pub meta: EventMeta,
    pub payload: Vec<EventView>,
}
