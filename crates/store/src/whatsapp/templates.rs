//! Message templates: the provider's list kept in step, found by name and language, and
//! changed by the provider's webhook news; and the claim on an inbox's periodic sync.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use switchboard_domain::whatsapp::same_language;

use crate::models::{Inbox, MessageTemplate, NewMessageTemplate};
use crate::schema::{inboxes, message_templates};
use crate::{StoreError, StoreResult};

/// The templates of these inboxes, by name: one query for any number of inboxes.
pub async fn templates_of(conn: &mut AsyncPgConnection, inbox_ids: &[i64]) -> StoreResult<Vec<MessageTemplate>> {
    Ok(message_templates::table
        .filter(message_templates::inbox_id.eq_any(inbox_ids))
        .order((message_templates::inbox_id, message_templates::name, message_templates::language))
        .select(MessageTemplate::as_select())
        .load(conn)
        .await?)
}

/// A template by name, and by language when one is given (`en-US` matches `en_US`).
pub async fn find_template(
    conn: &mut AsyncPgConnection,
    inbox_id: i64,
    name: &str,
    language: Option<&str>,
) -> StoreResult<Vec<MessageTemplate>> {
    let list: Vec<MessageTemplate> = message_templates::table
        .filter(message_templates::inbox_id.eq(inbox_id))
        .filter(message_templates::name.eq(name))
        .select(MessageTemplate::as_select())
        .load(conn)
        .await?;
    Ok(list.into_iter().filter(|t| language.is_none_or(|l| same_language(&t.language, l))).collect())
}

/// Makes the stored templates what the BSP listed: new ones added, changed ones updated,
/// vanished ones removed, all at once.
pub async fn replace_templates(conn: &mut AsyncPgConnection, inbox_id: i64, listed: &[NewMessageTemplate]) -> StoreResult<()> {
    conn.transaction::<_, StoreError, _>(async move |conn| {
        for t in listed {
            upsert_template(conn, t).await?;
        }
        let keep: Vec<String> = listed.iter().map(|t| format!("{}\u{1f}{}", t.name, t.language)).collect();
        diesel::sql_query("DELETE FROM message_templates WHERE inbox_id = $1 AND NOT (name || chr(31) || language = ANY($2))")
            .bind::<BigInt, _>(inbox_id)
            .bind::<Array<Text>, _>(&keep)
            .execute(conn)
            .await?;
        diesel::update(inboxes::table.find(inbox_id)).set(inboxes::message_templates_synced_at.eq(diesel::dsl::now)).execute(conn).await?;
        Ok(())
    })
    .await
}

pub async fn upsert_template(conn: &mut AsyncPgConnection, t: &NewMessageTemplate) -> StoreResult<MessageTemplate> {
    Ok(diesel::insert_into(message_templates::table)
        .values(t)
        .on_conflict((message_templates::inbox_id, message_templates::name, message_templates::language))
        .do_update()
        .set((
            message_templates::external_id.eq(&t.external_id),
            message_templates::status.eq(&t.status),
            message_templates::category.eq(&t.category),
            message_templates::components.eq(&t.components),
            message_templates::updated_at.eq(diesel::dsl::now),
        ))
        .returning(MessageTemplate::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn delete_templates(conn: &mut AsyncPgConnection, inbox_id: i64, name: &str) -> StoreResult<usize> {
    Ok(diesel::delete(message_templates::table.filter(message_templates::inbox_id.eq(inbox_id)).filter(message_templates::name.eq(name)))
        .execute(conn)
        .await?)
}

/// What a template webhook changes.
pub enum TemplateChange<'a> {
    Status { event: &'a str, reason: Option<&'a str> },
    Category { previous: Option<&'a str>, new: &'a str },
    Metrics(&'a Value),
}

/// Applies a template webhook to the template it names (by id, else by name and language).
/// A template we have not synced yet is added, so the event is not lost. Returns how many
/// templates changed.
pub async fn apply_template_event(
    conn: &mut AsyncPgConnection,
    inbox: &Inbox,
    template_id: Option<&str>,
    name: &str,
    language: &str,
    change: TemplateChange<'_>,
) -> StoreResult<usize> {
    // Only the rows that can match: by id, or by name (languages compare loosely, in Rust).
    let candidates: Vec<MessageTemplate> = message_templates::table
        .filter(message_templates::inbox_id.eq(inbox.id))
        .filter(message_templates::name.eq(name).or(message_templates::external_id.eq(template_id.unwrap_or(""))))
        .select(MessageTemplate::as_select())
        .load(conn)
        .await?;
    let target = candidates
        .iter()
        .find(|t| template_id.is_some() && t.external_id.as_deref() == template_id)
        .or_else(|| candidates.iter().find(|t| t.name == name && same_language(&t.language, language)));
    let id = match target {
        Some(t) => t.id,
        None if !name.is_empty() => {
            let new = NewMessageTemplate {
                account_id: inbox.account_id,
                inbox_id: inbox.id,
                external_id: template_id.map(str::to_string),
                name: name.to_string(),
                language: language.replace('-', "_"),
                status: "PENDING".into(),
                category: None,
                components: Value::Array(vec![]),
            };
            upsert_template(conn, &new).await?.id
        }
        None => return Ok(0),
    };
    let row = message_templates::table.find(id);
    let changed = match change {
        TemplateChange::Status { event, reason } => {
            diesel::update(row)
                .set((
                    message_templates::status.eq(event),
                    message_templates::reason.eq(reason),
                    message_templates::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?
        }
        TemplateChange::Category { previous, new } => {
            diesel::update(row)
                .set((
                    message_templates::category.eq(new),
                    message_templates::previous_category.eq(previous),
                    message_templates::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?
        }
        TemplateChange::Metrics(v) => {
            diesel::update(row)
                .set((message_templates::metrics.eq(v), message_templates::updated_at.eq(diesel::dsl::now)))
                .execute(conn)
                .await?
        }
    };
    Ok(changed)
}

/// WhatsApp inboxes whose templates were last synced before `before` (or never).
pub async fn inboxes_to_sync(conn: &mut AsyncPgConnection, before: DateTime<Utc>) -> StoreResult<Vec<Inbox>> {
    use switchboard_domain::whatsapp::Provider;
    let with_templates: Vec<&str> = Provider::ALL.iter().filter(|p| p.capabilities().templates).map(|p| p.as_str()).collect();
    let due = inboxes::table
        .filter(inboxes::channel_type.eq("whatsapp"))
        .filter(inboxes::message_templates_synced_at.is_null().or(inboxes::message_templates_synced_at.lt(before)))
        .into_boxed();
    // Inboxes made before there was a choice of provider are the BSP's (`Provider::of`).
    let due = if Provider::of(None).capabilities().templates {
        due.filter(inboxes::provider.eq_any(with_templates).or(inboxes::provider.is_null()))
    } else {
        due.filter(inboxes::provider.eq_any(with_templates))
    };
    Ok(due.select(Inbox::as_select()).load(conn).await?)
}

/// Claims an inbox's periodic sync for this process: true when nobody synced it since `before`.
pub async fn claim_sync(conn: &mut AsyncPgConnection, inbox_id: i64, before: DateTime<Utc>) -> StoreResult<bool> {
    let n = diesel::update(
        inboxes::table
            .find(inbox_id)
            .filter(inboxes::message_templates_synced_at.is_null().or(inboxes::message_templates_synced_at.lt(before))),
    )
    .set(inboxes::message_templates_synced_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    Ok(n == 1)
}
