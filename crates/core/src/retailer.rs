//! The retailer API (`retailer-api.apib.md`) over our model: customers are contacts, tags are
//! labels, custom fields are custom attributes, and a customer's agent is the assignee of their
//! conversations. Ids are the document's string web ids (`5036bsneh4170`): stable per record,
//! made from the account, a keyed check and the record's id, so one account's ids never name
//! another's records.

use serde_json::{json, Map, Value};
use switchboard_domain::contacts::{phone_number, split_name, GroupType};
use switchboard_domain::users::Email;
use switchboard_domain::ValidationError;
use switchboard_realtime::Event;
use switchboard_store::contacts::ListQuery;
use switchboard_store::inboxes::Visibility;
use switchboard_store::models::{Contact, ContactChanges};

use crate::actor::Actor;
use crate::change::Change;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;
use crate::views::retailer as views;
pub use crate::web_ids::{parse_web_id, template_internal_id, web_id};

/// The actor integrators act as: the account's API, seeing every inbox.
fn api_actor(account_id: i64) -> Actor {
    Actor {
        account_id,
        user_id: 0,
        agent_bot_id: None,
        name: "API".into(),
        visibility: Visibility::All,
        administrator: true,
        email: None,
        remote_address: None,
    }
}

/// `GET /retailers/api/v1/agents`.
pub async fn agents(state: &AppState, account_id: i64) -> CoreResult<views::Agents> {
    let mut conn = state.conn().await?;
    let agents = switchboard_store::account_users::list(&mut conn, account_id).await?;
    Ok(views::Agents { agents: agents.iter().map(views::agent).collect() })
}

/// `GET /retailers/api/v1/customers?page=`: `{results, total_pages, customers}`.
pub async fn customers(state: &AppState, account_id: i64, page: i64) -> CoreResult<views::Customers> {
    let mut conn = state.conn().await?;
    let q = ListQuery {
        account_id,
        sort: switchboard_domain::contacts::ContactSort::CreatedAt,
        descending: false,
        page,
        search: None,
        label: None,
        conditions: None,
    };
    let (rows, total) = switchboard_store::contacts::list(&mut conn, &q).await?;
    let labels = switchboard_store::labels::list(&mut conn, account_id).await?;
    let per_page = switchboard_store::contacts::PER_PAGE;
    Ok(views::Customers {
        results: total,
        total_pages: (total + per_page - 1) / per_page,
        customers: rows.iter().filter(|c| c.group_type != GroupType::Group.as_str()).map(|c| views::customer(c, &labels)).collect(),
    })
}

/// The account's customer with this web id.
async fn find(conn: &mut switchboard_store::AsyncPgConnection, account_id: i64, raw: &str) -> CoreResult<Contact> {
    let id = parse_web_id(account_id, raw).ok_or(CoreError::NotFound)?;
    switchboard_store::contacts::find(conn, account_id, id).await?.ok_or(CoreError::NotFound)
}

/// `GET /retailers/api/v1/customers/{id}`.
pub async fn show_customer(state: &AppState, account_id: i64, raw: &str) -> CoreResult<views::CustomerAnswer> {
    let mut conn = state.conn().await?;
    let c = find(&mut conn, account_id, raw).await?;
    let labels = switchboard_store::labels::list(&mut conn, account_id).await?;
    Ok(views::CustomerAnswer { message: "Customer found successfully", customer: views::customer(&c, &labels) })
}

/// A customer as the document's create and update bodies give one (`{"customer": {...}}`).
#[derive(Debug, Default, serde::Deserialize)]
pub struct CustomerInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub notes: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip_code: Option<String>,
    pub country_id: Option<String>,
    pub id_type: Option<String>,
    pub id_number: Option<String>,
    pub agent_id: Option<i64>,
    #[serde(default)]
    pub tags: Vec<TagInput>,
    #[serde(default)]
    pub custom_fields: Vec<FieldInput>,
}

/// A customer's labels after its tags, and each added label's title with the tag's own name.
type TagLabels = (Vec<String>, Vec<(String, String)>);

/// `{name, value}`: `value: true` tags the customer, `false` takes the tag off.
#[derive(Debug, serde::Deserialize)]
pub struct TagInput {
    pub name: String,
    pub value: bool,
}

/// `{field_name, field_content}`.
#[derive(Debug, serde::Deserialize)]
pub struct FieldInput {
    pub field_name: String,
    #[serde(alias = "field_content:")]
    pub field_content: Value,
}

impl CustomerInput {
    /// The contact's changes, over what it has (`current`).
    fn changes(&self, current: Option<&Contact>) -> Result<ContactChanges, ValidationError> {
        let (first, last) = current.map(|c| split_name(&c.name)).unwrap_or_default();
        let first = self.first_name.clone().map(|s| s.trim().to_string()).unwrap_or(first);
        let last = self.last_name.clone().map(|s| s.trim().to_string()).unwrap_or(last);
        let name = format!("{first} {last}").trim().to_string();
        let mut attributes: Map<String, Value> = current.and_then(|c| c.additional_attributes.as_object().cloned()).unwrap_or_default();
        for (key, value) in [
            ("notes", &self.notes),
            ("address", &self.address),
            ("city", &self.city),
            ("state", &self.state),
            ("zip_code", &self.zip_code),
            ("country_id", &self.country_id),
            ("id_type", &self.id_type),
            ("id_number", &self.id_number),
        ] {
            if let Some(v) = value {
                attributes.insert(key.into(), json!(v));
            }
        }
        let mut custom: Map<String, Value> = current.and_then(|c| c.custom_attributes.as_object().cloned()).unwrap_or_default();
        for f in &self.custom_fields {
            custom.insert(f.field_name.trim().to_string(), f.field_content.clone());
        }
        Ok(ContactChanges {
            name: (!name.is_empty()).then_some(name),
            email: self.email.as_deref().map(|e| Email::parse("customer.email", e).map(|e| Some(e.into_inner()))).transpose()?,
            phone_number: self.phone.as_deref().map(|p| phone_number("customer.phone", p).map(Some)).transpose()?,
            additional_attributes: Some(Value::Object(attributes)),
            custom_attributes: Some(switchboard_domain::limits::custom_attributes("customer.custom_fields", Value::Object(custom))?),
            ..Default::default()
        })
    }

    /// The contact's labels after the tags: added (`true`) or taken off (`false`); with each
    /// added label, the tag's name as given.
    fn labels(&self, current: &[String]) -> Result<TagLabels, ValidationError> {
        let mut labels = current.to_vec();
        let mut named = Vec::new();
        for t in &self.tags {
            let title = switchboard_domain::inbox::label_for_tag("customer.tags.name", &t.name)?;
            if t.value && !labels.contains(&title) {
                labels.push(title.clone());
                named.push((title, t.name.trim().to_string()));
            } else if !t.value {
                labels.retain(|l| *l != title);
            }
        }
        Ok((labels, named))
    }
}

/// `POST /retailers/api/v1/customers`: the new customer, as the document answers it.
pub async fn create_customer(state: &AppState, account_id: i64, input: &CustomerInput) -> CoreResult<views::CustomerAnswer> {
    let changes = input.changes(None)?;
    let contact = apply(state, account_id, None, input, changes).await?;
    let mut conn = state.conn().await?;
    let labels = switchboard_store::labels::list(&mut conn, account_id).await?;
    Ok(views::CustomerAnswer { message: "Customer created successfully", customer: views::customer(&contact, &labels) })
}

/// `PUT /retailers/api/v1/customers/{id}`.
pub async fn update_customer(state: &AppState, account_id: i64, raw: &str, input: &CustomerInput) -> CoreResult<views::Said> {
    let current = {
        let mut conn = state.conn().await?;
        find(&mut conn, account_id, raw).await?
    };
    let changes = input.changes(Some(&current))?;
    apply(state, account_id, Some(&current), input, changes).await?;
    Ok(views::Said { message: "Customer updated successfully" })
}

/// Writes a customer (made, or `current` changed) with its tags, labels made where the account
/// has none, and announces it, in the caller's change.
async fn write_customer(
    conn: &mut switchboard_store::AsyncPgConnection,
    out: &mut crate::change::Outbox,
    account_id: i64,
    current: Option<&Contact>,
    input: &CustomerInput,
    changes: &ContactChanges,
) -> CoreResult<Contact> {
    let contact = match current {
        Some(c) => switchboard_store::contacts::update(conn, account_id, c.id, changes).await?.ok_or(CoreError::NotFound)?,
        None => switchboard_store::contacts::create(conn, account_id, changes, None).await?.0,
    };
    let (labels, named) = input.labels(&contact.labels)?;
    let contact = if labels != contact.labels {
        for (title, name) in &named {
            switchboard_store::labels::ensure(conn, account_id, title, name).await?;
        }
        switchboard_store::contacts::set_labels(conn, account_id, contact.id, &labels).await?.ok_or(CoreError::NotFound)?
    } else {
        contact
    };
    let rendered = crate::present::contact(conn, &contact).await?;
    let event = if current.is_some() { Event::ContactUpdated } else { Event::ContactCreated };
    crate::events::contact(out, event, account_id, &rendered)?;
    Ok(contact)
}

/// Writes a customer with its tags (labels made where the account has none) and announces it;
/// then gives their conversations to `agent_id`, as an assignment from the API.
async fn apply(
    state: &AppState,
    account_id: i64,
    current: Option<&Contact>,
    input: &CustomerInput,
    changes: ContactChanges,
) -> CoreResult<Contact> {
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        if let Some(agent) = input.agent_id {
            switchboard_store::account_users::find(conn, account_id, agent)
                .await?
                .ok_or_else(|| ValidationError::invalid("customer.agent_id", "is not an agent of this account"))?;
        }
        write_customer(conn, out, account_id, current, input, &changes).await
    }
    .await;
    let contact = tx.finish(state, result).await?;
    if let Some(agent) = input.agent_id {
        let actor = api_actor(account_id);
        let mut conn = state.conn().await?;
        let open = switchboard_store::conversations::open_of_contact(&mut conn, contact.id).await?;
        drop(conn);
        for c in open {
            crate::conversations::reassign(state, &actor, c.display_id, Some(Some(agent)), None).await?;
        }
    }
    Ok(contact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_ids_are_stable_per_account_and_name_nothing_elsewhere() {
        let id = web_id(7, 4170);
        assert_eq!(id, web_id(7, 4170));
        assert!(id.starts_with("0007") && id.ends_with("4170") && id.len() == 13, "{id}");
        assert_eq!(parse_web_id(7, &id), Some(4170));
        assert_eq!(parse_web_id(8, &id), None, "another account's id");
        assert_eq!(parse_web_id(7, "0007aaaaa4170").filter(|_| web_id(7, 4170) != "0007aaaaa4170"), None);
        assert_eq!(parse_web_id(7, "not_found"), None);
    }
}

/// The templates of the account's BSP inboxes.
async fn account_templates(
    conn: &mut switchboard_store::AsyncPgConnection,
    account_id: i64,
) -> CoreResult<Vec<switchboard_store::models::MessageTemplate>> {
    let inboxes = switchboard_store::inboxes::list(conn, account_id, Visibility::All).await?;
    let ids: Vec<i64> = inboxes
        .iter()
        .filter(|i| {
            i.channel_type == switchboard_domain::inbox::ChannelType::Whatsapp
                && switchboard_domain::whatsapp::Provider::of(i.provider).capabilities().templates
        })
        .map(|i| i.id)
        .collect();
    Ok(switchboard_store::whatsapp::templates_of(conn, &ids).await?)
}

/// `GET /retailers/api/v1/whatsapp_templates`: each template's text with its placeholders as `*`.
pub async fn templates(state: &AppState, account_id: i64) -> CoreResult<views::Templates> {
    let mut conn = state.conn().await?;
    let list = account_templates(&mut conn, account_id).await?;
    Ok(views::Templates { templates: list.iter().map(|t| views::template(account_id, t)).collect() })
}

/// `send_notification_by_id` as the document sends it.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Notification {
    pub phone_number: Option<String>,
    pub internal_id: Option<String>,
    #[serde(default)]
    pub template_params: Vec<Value>,
    pub agent_id: Option<i64>,
    #[serde(default)]
    pub tags: Vec<TagInput>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip_code: Option<String>,
    pub notes: Option<String>,
}

/// Why a notification was not sent: the document's status and words, or one of ours.
#[derive(Debug)]
pub enum Refused {
    Document { status: u16, message: String },
    Core(CoreError),
}

impl From<CoreError> for Refused {
    fn from(e: CoreError) -> Self {
        Self::Core(e)
    }
}

fn refused(status: u16, message: impl Into<String>) -> Refused {
    Refused::Document { status, message: message.into() }
}

/// Sends a template to a number in one call, on the inbox that owns the template: the customer
/// (made or updated), their conversation (found or opened), the message queued for the BSP, and
/// the agent and tags, in one change. With an idempotency key, a repeat is answered as the first
/// was and sends nothing.
pub async fn send_notification(state: &AppState, account_id: i64, n: &Notification, idempotency: Option<&str>) -> Result<Value, Refused> {
    let raw_phone = n.phone_number.as_deref().map(str::trim).filter(|p| !p.is_empty());
    let internal_id = n.internal_id.as_deref().map(str::trim).filter(|i| !i.is_empty());
    let Some(raw_phone) = raw_phone else { return Err(refused(400, "Error: Missing phone number")) };
    let Some(internal_id) = internal_id else { return Err(refused(400, "Error: Missing phone number and/or internal_id")) };
    let phone = phone_number("phone_number", raw_phone).map_err(|_| refused(400, "Error: Invalid phone number"))?;
    let key = idempotency.map(str::trim).filter(|k| !k.is_empty()).map(|k| k.chars().take(255).collect::<String>());
    let mut conn = state.conn().await.map_err(CoreError::from)?;
    if let Some(key) = &key {
        if let Some(answer) = switchboard_store::integrations::answered(&mut conn, account_id, key).await.map_err(CoreError::from)? {
            return Ok(answer);
        }
    }
    let templates = account_templates(&mut conn, account_id).await?;
    drop(conn);
    let Some(template) = templates.into_iter().find(|t| template_internal_id(account_id, t.id) == internal_id) else {
        return Err(refused(404, "Error: Template not found. Please check the ID sent."));
    };
    let params: Vec<String> = n.template_params.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect();
    let required = switchboard_domain::whatsapp::TemplateShape::of(&template.components).body;
    if required != params.len() {
        return Err(refused(400, format!("Error: Parameters mismatch. Required {required}, but {} sent.", params.len())));
    }
    let text = switchboard_domain::whatsapp::render_placeholders(
        switchboard_domain::whatsapp::body_text(&template.components).unwrap_or_default(),
        |i| params.get(i - 1).cloned(),
    );
    let input = CustomerInput {
        first_name: n.first_name.clone(),
        last_name: n.last_name.clone(),
        email: n.email.clone(),
        phone: Some(phone.clone()),
        notes: n.notes.clone(),
        address: n.address.clone(),
        city: n.city.clone(),
        state: n.state.clone(),
        zip_code: n.zip_code.clone(),
        agent_id: n.agent_id,
        tags: n.tags.iter().map(|t| TagInput { name: t.name.clone(), value: t.value }).collect(),
        ..Default::default()
    };
    let country = switchboard_domain::contacts::phone_region(&phone);
    // Kept as sent: a repeat with the same key is answered with exactly this.
    let answer = crate::views::value(&views::notification_sent(text.clone(), phone.clone(), country, chrono::Utc::now()))?;
    let draft = switchboard_domain::messages::draft(switchboard_domain::messages::Raw {
        content: Some(text.clone()),
        message_type: None,
        private: false,
        content_type: None,
        content_attributes: None,
        in_reply_to: None,
        template_params: Some(json!({ "name": template.name, "language": template.language, "body": params })),
        files: 0,
    })
    .map_err(CoreError::from)?;
    let actor = api_actor(account_id);
    let mut tx = Change::begin(state).await?;
    let result = async {
        let (conn, out) = (&mut *tx.conn, &mut tx.out);
        if let Some(agent) = n.agent_id {
            switchboard_store::account_users::find(conn, account_id, agent)
                .await?
                .ok_or_else(|| ValidationError::invalid("agent_id", "is not an agent of this account"))?;
        }
        // The customer, by number: made, or updated with what was given.
        let current = switchboard_store::integrations::contact_by_phone(conn, account_id, &phone).await?;
        let changes = input.changes(current.as_ref())?;
        let contact = write_customer(conn, out, account_id, current.as_ref(), &input, &changes).await?;
        // Their identity in the template's inbox, and the conversation going on there.
        let identity = match switchboard_store::contacts::identity_in(conn, contact.id, template.inbox_id).await? {
            Some(ci) => ci,
            None => {
                let source = phone.trim_start_matches('+').to_string();
                switchboard_store::contacts::add_inbox(conn, contact.id, template.inbox_id, &source, &crate::tokens::random_token(16))
                    .await?
            }
        };
        let conversation = match switchboard_store::groups::current_conversation(conn, identity.id).await? {
            Some(c) => c,
            None => {
                let new = switchboard_store::models::NewConversation {
                    account_id,
                    inbox_id: template.inbox_id,
                    contact_id: contact.id,
                    contact_inbox_id: Some(identity.id),
                    assignee_id: None,
                    team_id: None,
                    status: switchboard_store::models::Status::Open,
                    priority: None,
                    group_type: "individual".into(),
                    snoozed_until: None,
                    uuid: crate::tokens::random_token(16),
                    additional_attributes: json!({}),
                    custom_attributes: json!({}),
                };
                let c = switchboard_store::conversations::insert(conn, &new).await?;
                crate::events::announce(state, conn, out, &c, Event::ConversationCreated, &[], Default::default()).await?;
                c
            }
        };
        crate::messages::create_in(state, conn, out, &actor, &conversation, crate::messages::Composed { draft, echo_id: None, files: &[] })
            .await?;
        if let Some(key) = &key {
            switchboard_store::integrations::remember(conn, account_id, key, &answer).await?;
        }
        CoreResult::Ok(conversation)
    }
    .await;
    let conversation = match tx.finish(state, result).await {
        Ok(c) => c,
        // The same key at the same time: the other request sent it; its answer is this one's.
        Err(CoreError::Invalid(v)) if key.is_some() && v.code == "taken" => {
            let mut conn = state.conn().await.map_err(CoreError::from)?;
            let key = key.as_deref().unwrap_or_default();
            return switchboard_store::integrations::answered(&mut conn, account_id, key)
                .await
                .map_err(CoreError::from)?
                .ok_or(Refused::Core(CoreError::Unavailable));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(agent) = n.agent_id {
        crate::conversations::reassign(state, &actor, conversation.display_id, Some(Some(agent)), None).await?;
    }
    Ok(answer)
}

/// How many rows a retailer page holds unless `results_per_page` says otherwise (at most 100).
pub const RESULTS_PER_PAGE: i64 = 100;

/// `GET /retailers/api/v1/whatsapp_conversations?page=&results_per_page=&unassigned=`.
pub async fn whatsapp_conversations(
    state: &AppState,
    account_id: i64,
    page: i64,
    per_page: i64,
    unassigned: bool,
) -> CoreResult<views::WhatsappConversations> {
    let mut conn = state.conn().await?;
    let rows = switchboard_store::integrations::whatsapp_page(&mut conn, account_id, unassigned, (page - 1) * per_page, per_page).await?;
    let total = match rows.first() {
        Some(r) => r.total,
        // Past the last page the window has no row to count on: count without it.
        None if page > 1 => {
            switchboard_store::integrations::whatsapp_page(&mut conn, account_id, unassigned, 0, 1).await?.first().map_or(0, |r| r.total)
        }
        None => 0,
    };
    Ok(views::WhatsappConversations {
        results: total,
        total_pages: (total + per_page - 1) / per_page,
        whatsapp_conversations: rows.iter().map(views::whatsapp_conversation).collect(),
    })
}

/// `GET /retailers/api/v1/customers/{id}/whatsapp_conversations?page=`: the customer's WhatsApp
/// messages, newest first, in the document's shape.
pub async fn customer_whatsapp(state: &AppState, account_id: i64, raw: &str, page: i64) -> CoreResult<views::CustomerWhatsapp> {
    let mut conn = state.conn().await?;
    let contact = find(&mut conn, account_id, raw).await?;
    let account = switchboard_store::accounts::find(&mut conn, account_id).await?;
    let (messages, total) =
        switchboard_store::integrations::whatsapp_messages_of(&mut conn, contact.id, (page - 1) * RESULTS_PER_PAGE, RESULTS_PER_PAGE)
            .await?;
    let ids: Vec<i64> = messages.iter().map(|m| m.id).collect();
    let files = switchboard_store::attachments::of_messages(&mut conn, &ids).await?;
    drop(conn);
    let mut list = Vec::with_capacity(messages.len());
    for m in &messages {
        let file = files.iter().find(|a| a.message_id == m.id);
        let url = match file {
            Some(a) => state.storage.url(&state.db, a).await?,
            None => String::new(),
        };
        list.push(views::whatsapp_message(m, file, url, account.slug.clone()));
    }
    Ok(views::CustomerWhatsapp { whatsapp_conversations: list, total_pages: (total + RESULTS_PER_PAGE - 1) / RESULTS_PER_PAGE })
}
