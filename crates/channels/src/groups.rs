//! What a provider that reaches groups says of them: a group's metadata and its requests to
//! join. Administering groups is `channel::Groups`.

use serde::Deserialize;
use serde_json::Value;

pub use crate::inbound::Participant;

/// A group as `group-metadata` describes it (no `data` wrapper).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupMetadata {
    pub id: String,
    pub subject: String,
    pub owner: Option<String>,
    pub owner_pn: Option<String>,
    pub desc: Option<String>,
    pub restrict: bool,
    pub announce: bool,
    pub join_approval_mode: bool,
    pub member_add_mode: bool,
    pub participants: Vec<Participant>,
}

/// A request to join a group, as the provider lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JoinRequest {
    pub jid: String,
    pub phone_number: Option<String>,
    pub request_time: Option<i64>,
}

impl JoinRequest {
    /// A request as the provider lists it (`jid`, `phone_number` or `phoneNumber`, the time as a
    /// number or a string).
    pub(crate) fn read(v: &Value) -> Option<Self> {
        let jid = v.get("jid").and_then(Value::as_str)?.to_string();
        let phone_number = v.get("phone_number").or_else(|| v.get("phoneNumber")).and_then(Value::as_str).map(str::to_string);
        let request_time = v.get("request_time").or_else(|| v.get("requestTime")).and_then(|t| match t {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        });
        Some(Self { jid, phone_number, request_time })
    }
}
