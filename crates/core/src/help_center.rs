//! The help center: portals (administrators), categories (administrators) and articles (any
//! member writes, administrators delete), in the reference's shapes; and the public reading
//! of published articles, with full-text search and Markdown rendered to sanitized HTML.

use std::collections::HashMap;

use serde_json::{json, Value};
use switchboard_domain::help_center::{self as rules, locales_of, ArticleStatus};
use switchboard_domain::ValidationError;
use switchboard_store::help_center::{Article, ArticleFields, ArticleFilter, Category, CategoryFields, Portal, PortalFields};
use switchboard_store::AsyncPgConnection;

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::state::AppState;
use crate::views::help_center::{
    portal_view, public_article, ArticleView, ArticlesPage, CategoryView, Count, PortalView, PublicArticle, PublicCategory,
};
use crate::views::{Page, Payload};

fn admin(actor: &Actor) -> CoreResult<()> {
    if actor.administrator {
        Ok(())
    } else {
        Err(CoreError::Forbidden)
    }
}

/// A unique index refused the row: the field it is about (the slug, or a portal's custom
/// domain) is taken.
fn taken(field: &'static str) -> impl Fn(switchboard_store::StoreError) -> CoreError {
    move |e| match e {
        switchboard_store::StoreError::Conflict { constraint } if constraint.contains("custom_domain") => {
            ValidationError::taken("custom_domain").into()
        }
        switchboard_store::StoreError::Conflict { .. } => ValidationError::taken(field).into(),
        other => other.into(),
    }
}

// Portals.

/// A portal's fields as a create or update gives them; on update, what is absent keeps its value.
#[derive(Debug, Default)]
pub struct PortalInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub custom_domain: Option<Option<String>>,
    pub color: Option<Option<String>>,
    pub header_text: Option<Option<String>>,
    pub page_title: Option<Option<String>>,
    pub homepage_link: Option<Option<String>>,
    pub archived: Option<bool>,
    pub config: Option<Value>,
}

fn portal_fields(input: PortalInput, current: Option<&Portal>) -> Result<PortalFields, ValidationError> {
    let name = match (input.name, current) {
        (Some(n), _) => switchboard_domain::text::required_name("name", &n)?,
        (None, Some(p)) => p.name.clone(),
        (None, None) => return Err(ValidationError::blank("name")),
    };
    let slug = match (input.slug, current) {
        (Some(s), _) => rules::slug("slug", &s)?,
        (None, Some(p)) => p.slug.clone(),
        (None, None) => {
            let s = rules::slugify(&name);
            if s.is_empty() {
                return Err(ValidationError::blank("slug"));
            }
            s
        }
    };
    let keep = |given: Option<Option<String>>, now: Option<&Option<String>>| -> Option<String> {
        match given {
            Some(v) => v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
            None => now.cloned().flatten(),
        }
    };
    let color = keep(input.color, current.map(|p| &p.color)).map(|c| rules::color("color", &c)).transpose()?;
    let homepage_link = keep(input.homepage_link, current.map(|p| &p.homepage_link));
    if let Some(link) = &homepage_link {
        let ok = url::Url::parse(link).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !ok {
            return Err(ValidationError::invalid("homepage_link", "must be an http(s) URL"));
        }
    }
    let config = match (input.config, current) {
        (Some(c), _) => portal_config(c)?,
        (None, Some(p)) => p.config.clone(),
        (None, None) => json!({ "allowed_locales": ["en"], "default_locale": "en" }),
    };
    Ok(PortalFields {
        name,
        slug,
        custom_domain: keep(input.custom_domain, current.map(|p| &p.custom_domain)).map(|d| d.to_lowercase()),
        color,
        header_text: keep(input.header_text, current.map(|p| &p.header_text)),
        page_title: keep(input.page_title, current.map(|p| &p.page_title)),
        homepage_link,
        archived: input.archived.or(current.map(|p| p.archived)).unwrap_or(false),
        config,
    })
}

/// `config`: `allowed_locales` (codes) and a `default_locale` among them.
fn portal_config(c: Value) -> Result<Value, ValidationError> {
    let Some(obj) = c.as_object() else { return Err(ValidationError::invalid("config", "must be an object")) };
    let mut allowed = vec![];
    match obj.get("allowed_locales") {
        None | Some(Value::Null) => allowed.push("en".to_string()),
        Some(Value::Array(list)) => {
            for (i, l) in list.iter().enumerate() {
                let code = l.as_str().or_else(|| l.get("code").and_then(Value::as_str)).unwrap_or("");
                let code = rules::locale(&format!("config.allowed_locales[{i}]"), code)?;
                if !allowed.contains(&code) {
                    allowed.push(code);
                }
            }
        }
        Some(_) => return Err(ValidationError::invalid("config.allowed_locales", "must be a list of locale codes")),
    }
    let default = match obj.get("default_locale").and_then(Value::as_str) {
        Some(d) => rules::locale("config.default_locale", d)?,
        None => allowed.first().cloned().unwrap_or_else(|| "en".into()),
    };
    if !allowed.contains(&default) {
        allowed.insert(0, default.clone());
    }
    Ok(json!({ "allowed_locales": allowed, "default_locale": default }))
}

async fn views(conn: &mut AsyncPgConnection, portals: Vec<Portal>) -> CoreResult<Vec<PortalView>> {
    let ids: Vec<i64> = portals.iter().map(|p| p.id).collect();
    let counts = switchboard_store::help_center::counts(conn, &ids).await?;
    Ok(portals.into_iter().map(|p| portal_view(p, &counts)).collect())
}

pub async fn portals(state: &AppState, actor: &Actor) -> CoreResult<Page<Count, Vec<PortalView>>> {
    let mut conn = state.conn().await?;
    let list = switchboard_store::help_center::portals(&mut conn, actor.account_id).await?;
    let payload = views(&mut conn, list).await?;
    Ok(Page { meta: Count { count: payload.len() }, payload })
}

async fn find_portal(conn: &mut AsyncPgConnection, actor: &Actor, key: &str) -> CoreResult<Portal> {
    switchboard_store::help_center::portal(conn, actor.account_id, key).await?.ok_or(CoreError::NotFound)
}

async fn one(conn: &mut AsyncPgConnection, p: Portal) -> CoreResult<Payload<PortalView>> {
    let mut list = views(conn, vec![p]).await?;
    list.pop().map(|payload| Payload { payload }).ok_or(CoreError::NotFound)
}

pub async fn portal(state: &AppState, actor: &Actor, key: &str) -> CoreResult<Payload<PortalView>> {
    let mut conn = state.conn().await?;
    let p = find_portal(&mut conn, actor, key).await?;
    one(&mut conn, p).await
}

pub async fn create_portal(state: &AppState, actor: &Actor, input: PortalInput) -> CoreResult<Payload<PortalView>> {
    admin(actor)?;
    let fields = portal_fields(input, None)?;
    let mut conn = state.conn().await?;
    let p = switchboard_store::help_center::create_portal(&mut conn, actor.account_id, &fields).await.map_err(taken("slug"))?;
    one(&mut conn, p).await
}

pub async fn update_portal(state: &AppState, actor: &Actor, key: &str, input: PortalInput) -> CoreResult<Payload<PortalView>> {
    admin(actor)?;
    let mut conn = state.conn().await?;
    let current = find_portal(&mut conn, actor, key).await?;
    let fields = portal_fields(input, Some(&current))?;
    let p = switchboard_store::help_center::update_portal(&mut conn, actor.account_id, current.id, &fields)
        .await
        .map_err(taken("slug"))?
        .ok_or(CoreError::NotFound)?;
    one(&mut conn, p).await
}

pub async fn delete_portal(state: &AppState, actor: &Actor, key: &str) -> CoreResult<()> {
    admin(actor)?;
    let mut conn = state.conn().await?;
    let p = find_portal(&mut conn, actor, key).await?;
    switchboard_store::help_center::delete_portal(&mut conn, actor.account_id, p.id).await?;
    Ok(())
}

// Categories.

#[derive(Debug, Default)]
pub struct CategoryInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<Option<String>>,
    pub locale: Option<String>,
    pub position: Option<i32>,
    pub icon: Option<Option<String>>,
    pub parent_category_id: Option<Option<i64>>,
    pub associated_category_id: Option<Option<i64>>,
}

/// A locale the portal offers.
fn portal_locale(p: &Portal, field: &str, raw: Option<String>, current: Option<&str>) -> Result<String, ValidationError> {
    let (allowed, default) = locales_of(&p.config);
    let code = match (raw, current) {
        (Some(l), _) => rules::locale(field, &l)?,
        (None, Some(c)) => c.to_string(),
        (None, None) => default,
    };
    if !allowed.is_empty() && !allowed.contains(&code) {
        return Err(ValidationError::invalid(field, "is not one of the portal's locales"));
    }
    Ok(code)
}

async fn category_ref(
    conn: &mut AsyncPgConnection,
    portal: &Portal,
    field: &str,
    id: Option<Option<i64>>,
    now: Option<i64>,
) -> CoreResult<Option<i64>> {
    match id {
        None => Ok(now),
        Some(None) => Ok(None),
        Some(Some(id)) => match switchboard_store::help_center::category(conn, portal.id, id).await? {
            Some(_) => Ok(Some(id)),
            None => Err(ValidationError::invalid(field, "is not a category of this portal").into()),
        },
    }
}

async fn category_fields(
    conn: &mut AsyncPgConnection,
    portal: &Portal,
    input: CategoryInput,
    current: Option<&Category>,
) -> CoreResult<CategoryFields> {
    let name = match (input.name, current) {
        (Some(n), _) => switchboard_domain::text::required_name("name", &n)?,
        (None, Some(c)) => c.name.clone(),
        (None, None) => return Err(ValidationError::blank("name").into()),
    };
    let slug = match (input.slug, current) {
        (Some(s), _) => rules::slug("slug", &s)?,
        (None, Some(c)) => c.slug.clone(),
        (None, None) => Some(rules::slugify(&name)).filter(|s| !s.is_empty()).ok_or_else(|| ValidationError::blank("slug"))?,
    };
    let locale = portal_locale(portal, "locale", input.locale, current.map(|c| c.locale.as_str()))?;
    let parent =
        category_ref(conn, portal, "parent_category_id", input.parent_category_id, current.and_then(|c| c.parent_category_id)).await?;
    if parent.is_some() && parent == current.map(|c| c.id) {
        return Err(ValidationError::invalid("parent_category_id", "cannot be the category itself").into());
    }
    let associated =
        category_ref(conn, portal, "associated_category_id", input.associated_category_id, current.and_then(|c| c.associated_category_id))
            .await?;
    let text = |given: Option<Option<String>>, now: Option<&Option<String>>| match given {
        Some(v) => v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
        None => now.cloned().flatten(),
    };
    Ok(CategoryFields {
        name,
        slug,
        description: text(input.description, current.map(|c| &c.description)),
        locale,
        position: input.position.or(current.map(|c| c.position)).unwrap_or(0),
        icon: text(input.icon, current.map(|c| &c.icon)),
        parent_category_id: parent,
        associated_category_id: associated,
    })
}

pub async fn categories(state: &AppState, actor: &Actor, portal: &str, locale: Option<&str>) -> CoreResult<Page<Count, Vec<CategoryView>>> {
    let mut conn = state.conn().await?;
    let p = find_portal(&mut conn, actor, portal).await?;
    let payload: Vec<CategoryView> =
        switchboard_store::help_center::categories(&mut conn, p.id, locale).await?.into_iter().map(CategoryView::from).collect();
    Ok(Page { meta: Count { count: payload.len() }, payload })
}

pub async fn category(state: &AppState, actor: &Actor, portal: &str, id: i64) -> CoreResult<CategoryView> {
    let mut conn = state.conn().await?;
    let p = find_portal(&mut conn, actor, portal).await?;
    Ok(switchboard_store::help_center::category(&mut conn, p.id, id).await?.ok_or(CoreError::NotFound)?.into())
}

pub async fn create_category(state: &AppState, actor: &Actor, portal: &str, input: CategoryInput) -> CoreResult<CategoryView> {
    admin(actor)?;
    let mut conn = state.conn().await?;
    let p = find_portal(&mut conn, actor, portal).await?;
    let fields = category_fields(&mut conn, &p, input, None).await?;
    Ok(switchboard_store::help_center::create_category(&mut conn, actor.account_id, p.id, &fields).await.map_err(taken("slug"))?.into())
}

pub async fn update_category(state: &AppState, actor: &Actor, portal: &str, id: i64, input: CategoryInput) -> CoreResult<CategoryView> {
    admin(actor)?;
    let mut conn = state.conn().await?;
    let p = find_portal(&mut conn, actor, portal).await?;
    let current = switchboard_store::help_center::category(&mut conn, p.id, id).await?.ok_or(CoreError::NotFound)?;
    let fields = category_fields(&mut conn, &p, input, Some(&current)).await?;
    Ok(switchboard_store::help_center::update_category(&mut conn, p.id, id, &fields)
        .await
        .map_err(taken("slug"))?
        .ok_or(CoreError::NotFound)?
        .into())
}

pub async fn delete_category(state: &AppState, actor: &Actor, portal: &str, id: i64) -> CoreResult<()> {
    admin(actor)?;
    let mut conn = state.conn().await?;
    let p = find_portal(&mut conn, actor, portal).await?;
    if !switchboard_store::help_center::delete_category(&mut conn, p.id, id).await? {
        return Err(CoreError::NotFound);
    }
    Ok(())
}

// Articles.

#[derive(Debug, Default)]
pub struct ArticleInput {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub content: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub status: Option<Value>,
    pub category_id: Option<Option<i64>>,
    pub author_id: Option<Option<i64>>,
    pub associated_article_id: Option<Option<i64>>,
    pub position: Option<i32>,
    pub locale: Option<String>,
    pub meta: Option<Value>,
}

async fn article_fields(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    portal: &Portal,
    input: ArticleInput,
    current: Option<&Article>,
) -> CoreResult<ArticleFields> {
    let title = match (input.title, current) {
        (Some(t), _) => switchboard_domain::text::required_name("title", &t)?,
        (None, Some(a)) => a.title.clone(),
        (None, None) => return Err(ValidationError::blank("title").into()),
    };
    let slug = match (input.slug, current) {
        (Some(s), _) => rules::slug("slug", &s)?,
        (None, Some(a)) => a.slug.clone(),
        (None, None) => {
            // A title with no ASCII letters (Arabic, Japanese) still gets a unique slug.
            let s = rules::slugify(&title);
            let suffix = chrono::Utc::now().timestamp_millis();
            if s.is_empty() {
                format!("article-{suffix}")
            } else {
                format!("{s}-{suffix}")
            }
        }
    };
    let locale = portal_locale(portal, "locale", input.locale, current.map(|a| a.locale.as_str()))?;
    let status = match input.status {
        Some(Value::Null) | None => current.map(|a| ArticleStatus::from_stored(&a.status)).unwrap_or(ArticleStatus::Draft),
        Some(v) => ArticleStatus::parse("status", &v)?,
    };
    let category_id = category_ref(conn, portal, "category_id", input.category_id, current.and_then(|a| a.category_id)).await?;
    let author_id = match input.author_id {
        None => current.and_then(|a| a.author_id).or(Some(actor.user_id).filter(|u| *u > 0)),
        Some(None) => None,
        Some(Some(id)) => match switchboard_store::account_users::membership(conn, actor.account_id, id).await? {
            Some(_) => Some(id),
            None => return Err(ValidationError::invalid("author_id", "is not an agent of this account").into()),
        },
    };
    let associated_article_id = match input.associated_article_id {
        None => current.and_then(|a| a.associated_article_id),
        Some(None) => None,
        Some(Some(id)) => match switchboard_store::help_center::article(conn, portal.id, id).await? {
            Some(_) => Some(id),
            None => return Err(ValidationError::invalid("associated_article_id", "is not an article of this portal").into()),
        },
    };
    let meta = match input.meta {
        Some(Value::Null) => json!({}),
        Some(m) if m.is_object() => m,
        Some(_) => return Err(ValidationError::invalid("meta", "must be an object").into()),
        None => current.map(|a| a.meta.clone()).unwrap_or_else(|| json!({})),
    };
    let text = |given: Option<Option<String>>, now: Option<String>| match given {
        Some(v) => v,
        None => now,
    };
    Ok(ArticleFields {
        category_id,
        author_id,
        associated_article_id,
        title,
        slug,
        content: text(input.content, current.map(|a| a.content.clone())).unwrap_or_default(),
        description: text(input.description, current.and_then(|a| a.description.clone())).filter(|d| !d.trim().is_empty()),
        status: status.as_str().into(),
        position: input.position.or(current.map(|a| a.position)).unwrap_or(0),
        search_language: rules::search_config(&locale).into(),
        locale,
        meta,
    })
}

pub const ARTICLES_PER_PAGE: i64 = 25;

pub struct ArticleQuery<'a> {
    pub page: i64,
    pub locale: Option<&'a str>,
    pub status: Option<&'a str>,
    pub category_id: Option<i64>,
    pub author_id: Option<i64>,
}

pub async fn articles(
    state: &AppState,
    actor: &Actor,
    portal: &str,
    q: &ArticleQuery<'_>,
) -> CoreResult<Page<ArticlesPage, Vec<ArticleView>>> {
    let status = match q.status {
        Some(s) => Some(ArticleStatus::parse("status", &Value::String(s.into()))?.as_str()),
        None => None,
    };
    let mut conn = state.conn().await?;
    let p = find_portal(&mut conn, actor, portal).await?;
    let filter = ArticleFilter { locale: q.locale, status, category_id: q.category_id, author_id: q.author_id };
    let page = q.page.max(1);
    let (rows, count) = switchboard_store::help_center::articles(&mut conn, p.id, &filter, page, ARTICLES_PER_PAGE).await?;
    Ok(Page {
        payload: rows.into_iter().map(ArticleView::from).collect(),
        meta: ArticlesPage { articles_count: count, current_page: page },
    })
}

pub async fn article(state: &AppState, actor: &Actor, portal: &str, id: i64) -> CoreResult<ArticleView> {
    let mut conn = state.conn().await?;
    let p = find_portal(&mut conn, actor, portal).await?;
    Ok(switchboard_store::help_center::article(&mut conn, p.id, id).await?.ok_or(CoreError::NotFound)?.into())
}

pub async fn create_article(state: &AppState, actor: &Actor, portal: &str, input: ArticleInput) -> CoreResult<ArticleView> {
    let mut conn = state.conn().await?;
    let p = find_portal(&mut conn, actor, portal).await?;
    let fields = article_fields(&mut conn, actor, &p, input, None).await?;
    Ok(switchboard_store::help_center::create_article(&mut conn, actor.account_id, p.id, &fields).await.map_err(taken("slug"))?.into())
}

pub async fn update_article(state: &AppState, actor: &Actor, portal: &str, id: i64, input: ArticleInput) -> CoreResult<ArticleView> {
    let mut conn = state.conn().await?;
    let p = find_portal(&mut conn, actor, portal).await?;
    let current = switchboard_store::help_center::article(&mut conn, p.id, id).await?.ok_or(CoreError::NotFound)?;
    let fields = article_fields(&mut conn, actor, &p, input, Some(&current)).await?;
    Ok(switchboard_store::help_center::update_article(&mut conn, p.id, id, &fields)
        .await
        .map_err(taken("slug"))?
        .ok_or(CoreError::NotFound)?
        .into())
}

pub async fn delete_article(state: &AppState, actor: &Actor, portal: &str, id: i64) -> CoreResult<()> {
    admin(actor)?;
    let mut conn = state.conn().await?;
    let p = find_portal(&mut conn, actor, portal).await?;
    if !switchboard_store::help_center::delete_article(&mut conn, p.id, id).await? {
        return Err(CoreError::NotFound);
    }
    Ok(())
}

// Public reading.

async fn public_categories(conn: &mut AsyncPgConnection, portal_id: i64) -> CoreResult<HashMap<i64, PublicCategory>> {
    Ok(switchboard_store::help_center::categories(conn, portal_id, None)
        .await?
        .into_iter()
        .map(|c| (c.id, PublicCategory { id: c.id, name: c.name, slug: c.slug }))
        .collect())
}

/// Search results at most.
const SEARCH_LIMIT: i64 = 25;

/// A live portal's published articles in a locale: in order, or matching `query` best first.
/// Lists carry no content (each article is read on its own page).
pub async fn public_articles(
    state: &AppState,
    slug: &str,
    locale: &str,
    query: Option<&str>,
    page: i64,
) -> CoreResult<Page<ArticlesPage, Vec<PublicArticle>>> {
    let mut conn = state.conn().await?;
    let p = switchboard_store::help_center::public_portal(&mut conn, slug).await?.ok_or(CoreError::NotFound)?;
    let (allowed, _) = locales_of(&p.config);
    if !allowed.iter().any(|l| l == locale) {
        return Err(CoreError::NotFound);
    }
    let categories = public_categories(&mut conn, p.id).await?;
    let (rows, count) = match query.map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => {
            let q: String = q.chars().take(200).collect();
            let rows =
                switchboard_store::help_center::search(&mut conn, p.id, locale, rules::search_config(locale), &q, SEARCH_LIMIT).await?;
            let n = rows.len() as i64;
            (rows, n)
        }
        None => {
            let filter = ArticleFilter { locale: Some(locale), status: Some("published"), ..Default::default() };
            switchboard_store::help_center::articles(&mut conn, p.id, &filter, page.max(1), ARTICLES_PER_PAGE).await?
        }
    };
    Ok(Page {
        payload: rows.into_iter().map(|a| public_article(a, &categories, false)).collect(),
        meta: ArticlesPage { articles_count: count, current_page: page.max(1) },
    })
}

/// One published article of a live portal, rendered; counts the view.
pub async fn public_article_by_slug(state: &AppState, slug: &str, article: &str) -> CoreResult<PublicArticle> {
    let mut conn = state.conn().await?;
    let p = switchboard_store::help_center::public_portal(&mut conn, slug).await?.ok_or(CoreError::NotFound)?;
    let a = switchboard_store::help_center::published(&mut conn, p.id, article).await?.ok_or(CoreError::NotFound)?;
    switchboard_store::help_center::viewed(&mut conn, a.id).await?;
    let categories = public_categories(&mut conn, p.id).await?;
    Ok(public_article(Article { views: a.views + 1, ..a }, &categories, true))
}
