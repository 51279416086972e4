//! The help center: portals, categories and articles, their counts, and the public reading and
//! full-text search of published articles.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use crate::schema::{articles, portal_categories as categories, portals};
use crate::StoreResult;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = portals)]
pub struct Portal {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub slug: String,
    pub custom_domain: Option<String>,
    pub color: Option<String>,
    pub header_text: Option<String>,
    pub page_title: Option<String>,
    pub homepage_link: Option<String>,
    pub archived: bool,
    pub config: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = portals, treat_none_as_null = true)]
pub struct PortalFields {
    pub name: String,
    pub slug: String,
    pub custom_domain: Option<String>,
    pub color: Option<String>,
    pub header_text: Option<String>,
    pub page_title: Option<String>,
    pub homepage_link: Option<String>,
    pub archived: bool,
    pub config: Value,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = categories)]
pub struct Category {
    pub id: i64,
    pub account_id: i64,
    pub portal_id: i64,
    pub name: String,
    pub slug: String,
    pub description: Option<String>,
    pub locale: String,
    pub position: i32,
    pub icon: Option<String>,
    pub parent_category_id: Option<i64>,
    pub associated_category_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = categories, treat_none_as_null = true)]
pub struct CategoryFields {
    pub name: String,
    pub slug: String,
    pub description: Option<String>,
    pub locale: String,
    pub position: i32,
    pub icon: Option<String>,
    pub parent_category_id: Option<i64>,
    pub associated_category_id: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = articles)]
pub struct Article {
    pub id: i64,
    pub account_id: i64,
    pub portal_id: i64,
    pub category_id: Option<i64>,
    pub author_id: Option<i64>,
    pub associated_article_id: Option<i64>,
    pub title: String,
    pub slug: String,
    pub content: String,
    pub description: Option<String>,
    pub status: String,
    pub position: i32,
    pub locale: String,
    pub meta: Value,
    pub views: i64,
    pub search_language: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = articles, treat_none_as_null = true)]
pub struct ArticleFields {
    pub category_id: Option<i64>,
    pub author_id: Option<i64>,
    pub associated_article_id: Option<i64>,
    pub title: String,
    pub slug: String,
    pub content: String,
    pub description: Option<String>,
    pub status: String,
    pub position: i32,
    pub locale: String,
    pub meta: Value,
    pub search_language: String,
}

// Portals.

pub async fn portals(conn: &mut AsyncPgConnection, account_id: i64) -> StoreResult<Vec<Portal>> {
    Ok(portals::table.filter(portals::account_id.eq(account_id)).order(portals::id).select(Portal::as_select()).load(conn).await?)
}

/// A portal of the account, by id or slug (the reference's routes take either).
pub async fn portal(conn: &mut AsyncPgConnection, account_id: i64, key: &str) -> StoreResult<Option<Portal>> {
    let mut q = portals::table.filter(portals::account_id.eq(account_id)).into_boxed();
    q = match key.parse::<i64>() {
        Ok(id) => q.filter(portals::id.eq(id).or(portals::slug.eq(key.to_string()))),
        Err(_) => q.filter(portals::slug.eq(key.to_string())),
    };
    Ok(q.select(Portal::as_select()).first(conn).await.optional()?)
}

/// A live (not archived) portal by its public slug, whatever its account.
pub async fn public_portal(conn: &mut AsyncPgConnection, slug: &str) -> StoreResult<Option<Portal>> {
    Ok(portals::table
        .filter(portals::slug.eq(slug))
        .filter(portals::archived.eq(false))
        .select(Portal::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn create_portal(conn: &mut AsyncPgConnection, account_id: i64, f: &PortalFields) -> StoreResult<Portal> {
    Ok(diesel::insert_into(portals::table)
        .values((portals::account_id.eq(account_id), f))
        .returning(Portal::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn update_portal(conn: &mut AsyncPgConnection, account_id: i64, id: i64, f: &PortalFields) -> StoreResult<Option<Portal>> {
    Ok(diesel::update(portals::table.filter(portals::account_id.eq(account_id)).filter(portals::id.eq(id)))
        .set((f, portals::updated_at.eq(diesel::dsl::now)))
        .returning(Portal::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn delete_portal(conn: &mut AsyncPgConnection, account_id: i64, id: i64) -> StoreResult<bool> {
    Ok(diesel::delete(portals::table.filter(portals::account_id.eq(account_id)).filter(portals::id.eq(id))).execute(conn).await? > 0)
}

/// Per portal and locale: articles by status, and categories.
#[derive(Debug, Clone, QueryableByName)]
pub struct LocaleCounts {
    #[diesel(sql_type = BigInt)]
    pub portal_id: i64,
    #[diesel(sql_type = Text)]
    pub locale: String,
    #[diesel(sql_type = BigInt)]
    pub articles: i64,
    #[diesel(sql_type = BigInt)]
    pub published: i64,
    #[diesel(sql_type = BigInt)]
    pub drafts: i64,
    #[diesel(sql_type = BigInt)]
    pub archived: i64,
    #[diesel(sql_type = BigInt)]
    pub categories: i64,
}

/// Counts of these portals, in one query for any number of portals.
pub async fn counts(conn: &mut AsyncPgConnection, portal_ids: &[i64]) -> StoreResult<Vec<LocaleCounts>> {
    Ok(crate::prepared::prepared(
        "SELECT portal_id, locale, sum(a)::int8 AS articles, sum(p)::int8 AS published, sum(d)::int8 AS drafts, \
                sum(x)::int8 AS archived, sum(c)::int8 AS categories FROM ( \
           SELECT portal_id, locale, 1 AS a, (status = 'published')::int AS p, (status = 'draft')::int AS d, \
                  (status = 'archived')::int AS x, 0 AS c FROM articles WHERE portal_id = ANY($1) \
           UNION ALL SELECT portal_id, locale, 0, 0, 0, 0, 1 FROM portal_categories WHERE portal_id = ANY($1) \
         ) t GROUP BY portal_id, locale ORDER BY portal_id, locale",
    )
    .bind::<diesel::sql_types::Array<BigInt>, _>(portal_ids)
    .load(conn)
    .await?)
}

// Categories.

pub async fn categories(conn: &mut AsyncPgConnection, portal_id: i64, locale: Option<&str>) -> StoreResult<Vec<Category>> {
    let mut q = categories::table.filter(categories::portal_id.eq(portal_id)).into_boxed();
    if let Some(l) = locale {
        q = q.filter(categories::locale.eq(l.to_string()));
    }
    Ok(q.order((categories::position, categories::id)).select(Category::as_select()).load(conn).await?)
}

pub async fn category(conn: &mut AsyncPgConnection, portal_id: i64, id: i64) -> StoreResult<Option<Category>> {
    Ok(categories::table
        .filter(categories::portal_id.eq(portal_id))
        .filter(categories::id.eq(id))
        .select(Category::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn create_category(conn: &mut AsyncPgConnection, account_id: i64, portal_id: i64, f: &CategoryFields) -> StoreResult<Category> {
    Ok(diesel::insert_into(categories::table)
        .values((categories::account_id.eq(account_id), categories::portal_id.eq(portal_id), f))
        .returning(Category::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn update_category(conn: &mut AsyncPgConnection, portal_id: i64, id: i64, f: &CategoryFields) -> StoreResult<Option<Category>> {
    Ok(diesel::update(categories::table.filter(categories::portal_id.eq(portal_id)).filter(categories::id.eq(id)))
        .set((f, categories::updated_at.eq(diesel::dsl::now)))
        .returning(Category::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn delete_category(conn: &mut AsyncPgConnection, portal_id: i64, id: i64) -> StoreResult<bool> {
    Ok(diesel::delete(categories::table.filter(categories::portal_id.eq(portal_id)).filter(categories::id.eq(id))).execute(conn).await? > 0)
}

// Articles.

#[derive(Debug, Default)]
pub struct ArticleFilter<'a> {
    pub locale: Option<&'a str>,
    pub status: Option<&'a str>,
    pub category_id: Option<i64>,
    pub author_id: Option<i64>,
}

/// A page of a portal's articles in their order, and how many match.
pub async fn articles(
    conn: &mut AsyncPgConnection,
    portal_id: i64,
    f: &ArticleFilter<'_>,
    page: i64,
    per_page: i64,
) -> StoreResult<(Vec<Article>, i64)> {
    let filtered = || {
        let mut q = articles::table.filter(articles::portal_id.eq(portal_id)).into_boxed();
        if let Some(l) = f.locale {
            q = q.filter(articles::locale.eq(l.to_string()));
        }
        if let Some(s) = f.status {
            q = q.filter(articles::status.eq(s.to_string()));
        }
        if let Some(c) = f.category_id {
            q = q.filter(articles::category_id.eq(c));
        }
        if let Some(a) = f.author_id {
            q = q.filter(articles::author_id.eq(a));
        }
        q
    };
    let count = filtered().count().get_result(conn).await?;
    let rows = filtered()
        .order((articles::position, articles::id))
        .limit(per_page)
        .offset((page - 1).max(0) * per_page)
        .select(Article::as_select())
        .load(conn)
        .await?;
    Ok((rows, count))
}

pub async fn article(conn: &mut AsyncPgConnection, portal_id: i64, id: i64) -> StoreResult<Option<Article>> {
    Ok(articles::table
        .filter(articles::portal_id.eq(portal_id))
        .filter(articles::id.eq(id))
        .select(Article::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// A published article of a portal by its slug.
pub async fn published(conn: &mut AsyncPgConnection, portal_id: i64, slug: &str) -> StoreResult<Option<Article>> {
    Ok(articles::table
        .filter(articles::portal_id.eq(portal_id))
        .filter(articles::slug.eq(slug))
        .filter(articles::status.eq("published"))
        .select(Article::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Counts a public reading.
pub async fn viewed(conn: &mut AsyncPgConnection, id: i64) -> StoreResult<()> {
    diesel::update(articles::table.find(id)).set(articles::views.eq(articles::views + 1)).execute(conn).await?;
    Ok(())
}

pub async fn create_article(conn: &mut AsyncPgConnection, account_id: i64, portal_id: i64, f: &ArticleFields) -> StoreResult<Article> {
    Ok(diesel::insert_into(articles::table)
        .values((articles::account_id.eq(account_id), articles::portal_id.eq(portal_id), f))
        .returning(Article::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn update_article(conn: &mut AsyncPgConnection, portal_id: i64, id: i64, f: &ArticleFields) -> StoreResult<Option<Article>> {
    Ok(diesel::update(articles::table.filter(articles::portal_id.eq(portal_id)).filter(articles::id.eq(id)))
        .set((f, articles::updated_at.eq(diesel::dsl::now)))
        .returning(Article::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn delete_article(conn: &mut AsyncPgConnection, portal_id: i64, id: i64) -> StoreResult<bool> {
    Ok(diesel::delete(articles::table.filter(articles::portal_id.eq(portal_id)).filter(articles::id.eq(id))).execute(conn).await? > 0)
}

/// Published articles of a portal's locale matching `query`, best first: PostgreSQL full-text
/// search in `config` (the locale's language), title over description over content.
pub async fn search(
    conn: &mut AsyncPgConnection,
    portal_id: i64,
    locale: &str,
    config: &'static str,
    query: &str,
    limit: i64,
) -> StoreResult<Vec<Article>> {
    Ok(crate::prepared::prepared(
        "SELECT id, account_id, portal_id, category_id, author_id, associated_article_id, title, slug, content, description, \
                status, position, locale, meta, views, search_language, created_at, updated_at \
         FROM articles, websearch_to_tsquery($3::regconfig, $4) q \
         WHERE portal_id = $1 AND locale = $2 AND status = 'published' AND search @@ q \
         ORDER BY ts_rank(search, q) DESC, id LIMIT $5",
    )
    .bind::<BigInt, _>(portal_id)
    .bind::<Text, _>(locale)
    .bind::<Text, _>(config)
    .bind::<Text, _>(query)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?)
}
