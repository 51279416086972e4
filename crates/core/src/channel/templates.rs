//! Message templates, where the provider has them (the BSP): kept in step with the provider
//! (on creation, every `template_sync`, and by its webhook's news), and matched against a
//! message's `template_params` before it is stored.

use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};
use switchboard_channels::aldeamo;
use switchboard_channels::channel::TemplateSend;
use switchboard_channels::inbound::{TemplateEvent, TemplateNews};
use switchboard_domain::whatsapp::{Provider, ProviderConfig, TemplateShape};
use switchboard_domain::ValidationError;
use switchboard_store::models::{Inbox, MessageTemplate, NewMessageTemplate};
use switchboard_store::whatsapp::TemplateChange;
use switchboard_store::AsyncPgConnection;

use super::line::Line;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;

/// The BSP config of an inbox; templates and the BSP's sends need it.
pub fn config_of(inbox: &Inbox) -> CoreResult<ProviderConfig> {
    if Provider::of(inbox.provider) != Provider::Aldeamo {
        return Err(ValidationError::invalid("inbox", "has no message templates: its provider is not the BSP").into());
    }
    serde_json::from_value(inbox.provider_config.clone())
        .map_err(|_| CoreError::internal(format!("inbox {} has no valid provider config", inbox.id)))
}

pub fn template_send(v: &Value) -> TemplateSend {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    TemplateSend {
        name: text("name").unwrap_or_default(),
        language: text("language").unwrap_or_default(),
        namespace: text("namespace"),
        components: v.get("components").and_then(Value::as_array).cloned().unwrap_or_default(),
    }
}

/// Matches `template_params` with a stored template and checks the parameter counts.
pub(super) async fn resolve_template(conn: &mut AsyncPgConnection, inbox: &Inbox, params: &Value) -> CoreResult<Value> {
    let name = params.get("name").and_then(Value::as_str).map(str::trim).unwrap_or_default();
    let language = params.get("language").and_then(Value::as_str).map(str::trim).filter(|l| !l.is_empty());
    let found = switchboard_store::whatsapp::find_template(conn, inbox.id, name, language).await?;
    let template = match found.as_slice() {
        [] => return Err(ValidationError::invalid("template_params.name", format!("is not a template of this inbox: '{name}'")).into()),
        [one] => one,
        _ => return Err(ValidationError::blank("template_params.language").into()),
    };
    if !template.status.eq_ignore_ascii_case("APPROVED") {
        return Err(ValidationError::invalid("template_params.name", format!("is not approved (status {})", template.status)).into());
    }
    let given = aldeamo::template_components(params)?;
    TemplateShape::of(&template.components).check(&given.header, given.body_count, &given.url_buttons)?;
    let components = given.components;
    let config = config_of(inbox)?;
    let namespace = params.get("namespace").and_then(Value::as_str).map(str::to_string).or(config.namespace);
    Ok(json!({ "name": template.name, "language": template.language, "namespace": namespace, "components": components }))
}

/// Fetches the inbox's templates from the BSP and stores them; then what the BSP says of the
/// number (when the inbox has an analytics token), whose failure is kept on the inbox.
pub async fn sync_templates(state: &AppState, conn: &mut AsyncPgConnection, inbox: &Inbox) -> CoreResult<usize> {
    let rows = fetch_templates(state, inbox).await?;
    switchboard_store::whatsapp::replace_templates(conn, inbox.id, &rows).await?;
    crate::whatsapp_analytics::check_number(state, conn, inbox).await?;
    Ok(rows.len())
}

/// The inbox's templates as its provider lists them now (no database work: safe to bound in
/// time). A provider without templates is a 422.
pub async fn fetch_templates(state: &AppState, inbox: &Inbox) -> CoreResult<Vec<NewMessageTemplate>> {
    let line = Line::of(inbox)?;
    let Some(listed) = line.open(state).templates().await else { return Err(no_templates()) };
    let listed = listed.map_err(|e| CoreError::Upstream { refused: false, message: e.message })?;
    let rows: Vec<NewMessageTemplate> = listed
        .into_iter()
        .map(|t| NewMessageTemplate {
            account_id: inbox.account_id,
            inbox_id: inbox.id,
            external_id: t.id,
            name: t.name,
            language: t.language,
            status: t.status,
            category: t.category,
            components: t.components,
        })
        .collect();
    Ok(rows)
}

/// A template an administrator submits, already checked.
pub struct NewTemplate {
    pub name: String,
    pub category: String,
    pub language: String,
    pub components: Vec<Value>,
}

/// Submits a template to the inbox's provider, then keeps it here as pending until its status
/// news arrives. A provider's refusal is the request's fault (422); anything else is the
/// provider's (502).
pub async fn create_template(state: &AppState, inbox: &Inbox, t: NewTemplate) -> CoreResult<MessageTemplate> {
    let line = Line::of(inbox)?;
    let request = json!({ "name": t.name, "category": t.category, "language": t.language, "components": t.components });
    let channel = line.open(state);
    let created = channel.create_template(&request).await.ok_or_else(no_templates)?;
    let id = created.map_err(|e| CoreError::Upstream { refused: e.refused, message: e.message })?;
    let new = NewMessageTemplate {
        account_id: inbox.account_id,
        inbox_id: inbox.id,
        external_id: id,
        name: t.name,
        language: t.language,
        status: "PENDING".into(),
        category: Some(t.category),
        components: Value::Array(t.components),
    };
    let mut conn = state.conn().await?;
    Ok(switchboard_store::whatsapp::upsert_template(&mut conn, &new).await?)
}

/// Deletes every language of a template name at the provider (which deletes by name), then
/// here. A name the inbox does not have is a 404.
pub async fn delete_template(state: &AppState, inbox: &Inbox, name: &str) -> CoreResult<()> {
    let mut conn = state.conn().await?;
    if switchboard_store::whatsapp::find_template(&mut conn, inbox.id, name, None).await?.is_empty() {
        return Err(CoreError::NotFound);
    }
    // No connection is held while the provider answers.
    drop(conn);
    let line = Line::of(inbox)?;
    let channel = line.open(state);
    let deleted = channel.delete_template(name).await.ok_or_else(no_templates)?;
    deleted.map_err(|e| CoreError::Upstream { refused: e.refused, message: e.message })?;
    let mut conn = state.conn().await?;
    switchboard_store::whatsapp::delete_templates(&mut conn, inbox.id, name).await?;
    Ok(())
}

fn no_templates() -> CoreError {
    ValidationError::invalid("inbox", "has no message templates: its provider is not the BSP").into()
}

/// A new inbox's templates, there from the start when its provider has them and answers
/// quickly. A failure or a slow provider is not the inbox's: the periodic sync tries again.
/// Bounded, so that the caller's answer (the inbox exists now) comes well within its deadline.
/// No connection is held while the provider answers.
pub async fn first_sync(state: &AppState, inbox: &Inbox) {
    if !Provider::of(inbox.provider).capabilities().templates {
        return;
    }
    let store = async |rows: Vec<NewMessageTemplate>| -> CoreResult<()> {
        let mut conn = state.conn().await?;
        Ok(switchboard_store::whatsapp::replace_templates(&mut conn, inbox.id, &rows).await?)
    };
    let stored = match tokio::time::timeout(FIRST_SYNC, fetch_templates(state, inbox)).await {
        Ok(Ok(rows)) => store(rows).await,
        Ok(Err(e)) => Err(e),
        Err(_) => Err(CoreError::Upstream { refused: false, message: "the provider was slow to list templates".into() }),
    };
    if let Err(e) = stored {
        tracing::warn!(inbox_id = inbox.id, error = %e, "could not fetch WhatsApp templates; the periodic sync will");
    }
}

/// How long a new inbox waits for its templates.
const FIRST_SYNC: Duration = Duration::from_secs(3);

/// Every WhatsApp inbox's templates, refreshed every `every`; each inbox is claimed in the
/// database first, so several processes don't all call the BSP.
pub async fn sync_templates_forever(state: std::sync::Arc<AppState>) {
    let every = state.settings.whatsapp.template_sync;
    loop {
        tokio::time::sleep(Duration::from_secs(30).min(every)).await;
        let before = Utc::now() - chrono::Duration::from_std(every).unwrap_or_default();
        let Ok(mut conn) = state.conn().await else { continue };
        let Ok(due) = switchboard_store::whatsapp::inboxes_to_sync(&mut conn, before).await else { continue };
        for inbox in due {
            if !matches!(switchboard_store::whatsapp::claim_sync(&mut conn, inbox.id, before).await, Ok(true)) {
                continue;
            }
            if let Err(e) = sync_templates(&state, &mut conn, &inbox).await {
                tracing::warn!(inbox_id = inbox.id, error = %e, "template sync failed");
            }
        }
    }
}

/// Template news from the provider's webhook, each applied to the template it names.
pub async fn apply_template_events(state: &AppState, inbox: &Inbox, events: &[TemplateEvent]) -> CoreResult<()> {
    let mut conn = state.conn().await?;
    for t in events {
        let change = match &t.change {
            TemplateNews::Status { event, reason } => TemplateChange::Status { event, reason: reason.as_deref() },
            TemplateNews::Category { previous, new } => TemplateChange::Category { previous: previous.as_deref(), new },
            TemplateNews::Metrics(metric) => TemplateChange::Metrics(metric),
        };
        switchboard_store::whatsapp::apply_template_event(&mut conn, inbox, t.template_id.as_deref(), &t.name, &t.language, change).await?;
    }
    Ok(())
}
