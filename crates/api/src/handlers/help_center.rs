//! The help center: `/api/v1/accounts/{account_id}/portals…` (portals and categories for
//! administrators; articles written by any member, deleted by administrators), and the public
//! reading at `/hc/{portal_slug}/…` (no token, rate limited per address and portal). The work is
//! `switchboard_core::help_center`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use switchboard_core::help_center::{self as hc, ArticleInput, ArticleQuery, CategoryInput, PortalInput};
use switchboard_core::state::AppState;

use super::path_id;
use crate::auth::AccountCtx;
use crate::error::ApiResult;
use crate::extract::{nullable, Body, Params, Payload};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalPayload {
    name: Option<String>,
    slug: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    custom_domain: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    color: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    header_text: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    page_title: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    homepage_link: Option<Option<String>>,
    archived: Option<bool>,
    config: Option<Value>,
}
impl Payload for PortalPayload {
    const WRAPPER: Option<&'static str> = Some("portal");
}

impl From<PortalPayload> for PortalInput {
    fn from(p: PortalPayload) -> Self {
        Self {
            name: p.name,
            slug: p.slug,
            custom_domain: p.custom_domain,
            color: p.color,
            header_text: p.header_text,
            page_title: p.page_title,
            homepage_link: p.homepage_link,
            archived: p.archived,
            config: p.config,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryPayload {
    name: Option<String>,
    slug: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    locale: Option<String>,
    position: Option<i32>,
    #[serde(default, deserialize_with = "nullable")]
    icon: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    parent_category_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    associated_category_id: Option<Option<i64>>,
}
impl Payload for CategoryPayload {
    const WRAPPER: Option<&'static str> = Some("category");
}

impl From<CategoryPayload> for CategoryInput {
    fn from(p: CategoryPayload) -> Self {
        Self {
            name: p.name,
            slug: p.slug,
            description: p.description,
            locale: p.locale,
            position: p.position,
            icon: p.icon,
            parent_category_id: p.parent_category_id,
            associated_category_id: p.associated_category_id,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticlePayload {
    title: Option<String>,
    slug: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    content: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    status: Option<Value>,
    #[serde(default, deserialize_with = "nullable")]
    category_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    author_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    associated_article_id: Option<Option<i64>>,
    position: Option<i32>,
    locale: Option<String>,
    meta: Option<Value>,
}
impl Payload for ArticlePayload {
    const WRAPPER: Option<&'static str> = Some("article");
}

impl From<ArticlePayload> for ArticleInput {
    fn from(p: ArticlePayload) -> Self {
        Self {
            title: p.title,
            slug: p.slug,
            content: p.content,
            description: p.description,
            status: p.status,
            category_id: p.category_id,
            author_id: p.author_id,
            associated_article_id: p.associated_article_id,
            position: p.position,
            locale: p.locale,
            meta: p.meta,
        }
    }
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn portals(state: web::Data<AppState>, ctx: AccountCtx) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(hc::portals(&state, &ctx.actor()).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn portal(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(hc::portal(&state, &ctx.actor(), &path.1).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create_portal(state: web::Data<AppState>, ctx: AccountCtx, body: Body<PortalPayload>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    Ok(HttpResponse::Ok().json(hc::create_portal(&state, &ctx.actor(), body.0.into()).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update_portal(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    body: Body<PortalPayload>,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    Ok(HttpResponse::Ok().json(hc::update_portal(&state, &ctx.actor(), &path.1, body.0.into()).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete_portal(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    hc::delete_portal(&state, &ctx.actor(), &path.1).await?;
    Ok(HttpResponse::Ok().finish())
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn categories(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    params: Params,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(hc::categories(&state, &ctx.actor(), &path.1, params.str("locale")).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn category(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String, String)>) -> ApiResult<HttpResponse> {
    let id = path_id(&path.2)?;
    Ok(HttpResponse::Ok().json(hc::category(&state, &ctx.actor(), &path.1, id).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create_category(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    body: Body<CategoryPayload>,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    Ok(HttpResponse::Ok().json(hc::create_category(&state, &ctx.actor(), &path.1, body.0.into()).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update_category(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String, String)>,
    body: Body<CategoryPayload>,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let id = path_id(&path.2)?;
    Ok(HttpResponse::Ok().json(hc::update_category(&state, &ctx.actor(), &path.1, id, body.0.into()).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete_category(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let id = path_id(&path.2)?;
    hc::delete_category(&state, &ctx.actor(), &path.1, id).await?;
    Ok(HttpResponse::Ok().finish())
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn articles(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    params: Params,
) -> ApiResult<HttpResponse> {
    let q = ArticleQuery {
        page: params.page(),
        locale: params.str("locale"),
        status: params.str("status"),
        category_id: params.int("category_id"),
        author_id: params.int("author_id"),
    };
    Ok(HttpResponse::Ok().json(hc::articles(&state, &ctx.actor(), &path.1, &q).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn article(state: web::Data<AppState>, ctx: AccountCtx, path: web::Path<(String, String, String)>) -> ApiResult<HttpResponse> {
    let id = path_id(&path.2)?;
    Ok(HttpResponse::Ok().json(hc::article(&state, &ctx.actor(), &path.1, id).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn create_article(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String)>,
    body: Body<ArticlePayload>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(hc::create_article(&state, &ctx.actor(), &path.1, body.0.into()).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn update_article(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String, String)>,
    body: Body<ArticlePayload>,
) -> ApiResult<HttpResponse> {
    let id = path_id(&path.2)?;
    Ok(HttpResponse::Ok().json(hc::update_article(&state, &ctx.actor(), &path.1, id, body.0.into()).await?))
}

#[tracing::instrument(skip_all, fields(account_id = ctx.account_id))]
pub async fn delete_article(
    state: web::Data<AppState>,
    ctx: AccountCtx,
    path: web::Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    ctx.require_admin()?;
    let id = path_id(&path.2)?;
    hc::delete_article(&state, &ctx.actor(), &path.1, id).await?;
    Ok(HttpResponse::Ok().finish())
}

/// `GET /hc/{portal_slug}/{locale}/articles[?query=…&page=…]`: published articles, searched
/// when `query` is given.
#[tracing::instrument(skip_all)]
pub async fn public_articles(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    params: Params,
) -> ApiResult<HttpResponse> {
    crate::limits::public(&state, &req, &format!("portal:{}", path.0)).await?;
    let list = hc::public_articles(&state, &path.0, &path.1, params.str("query"), params.page()).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// `GET /hc/{portal_slug}/articles/{article_slug}`: one published article, its Markdown as
/// sanitized HTML.
#[tracing::instrument(skip_all)]
pub async fn public_article(state: web::Data<AppState>, req: HttpRequest, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    crate::limits::public(&state, &req, &format!("portal:{}", path.0)).await?;
    Ok(HttpResponse::Ok().json(hc::public_article_by_slug(&state, &path.0, &path.1).await?))
}
