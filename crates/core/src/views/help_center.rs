//! The help center as the API shows it (portals with their locales and counts, categories,
//! articles) and as customers read it (published articles, rendered).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use switchboard_domain::help_center::{self as rules, locales_of, ArticleStatus};
use switchboard_store::help_center::{Article, Category, LocaleCounts, Portal};

#[derive(Debug, Serialize)]
pub struct LocaleView {
    pub code: String,
    pub articles_count: i64,
    pub categories_count: i64,
}

#[derive(Debug, Serialize)]
pub struct PortalConfigView {
    pub allowed_locales: Vec<LocaleView>,
    pub default_locale: String,
}

#[derive(Debug, Serialize)]
pub struct PortalMeta {
    pub all_articles_count: i64,
    pub archived_articles_count: i64,
    pub published_count: i64,
    pub draft_articles_count: i64,
    pub categories_count: i64,
    pub default_locale: String,
}

#[derive(Debug, Serialize)]
pub struct PortalView {
    pub id: i64,
    pub account_id: i64,
    pub archived: bool,
    pub color: Option<String>,
    pub config: PortalConfigView,
    pub custom_domain: Option<String>,
    pub header_text: Option<String>,
    pub homepage_link: Option<String>,
    pub name: String,
    pub slug: String,
    pub page_title: Option<String>,
    pub inbox: Option<Value>,
    pub logo: Option<Value>,
    pub meta: PortalMeta,
}

pub fn portal_view(p: Portal, counts: &[LocaleCounts]) -> PortalView {
    let (allowed, default_locale) = locales_of(&p.config);
    let mine: Vec<&LocaleCounts> = counts.iter().filter(|c| c.portal_id == p.id).collect();
    let total = |f: fn(&LocaleCounts) -> i64| mine.iter().map(|c| f(c)).sum::<i64>();
    PortalView {
        id: p.id,
        account_id: p.account_id,
        archived: p.archived,
        color: p.color,
        config: PortalConfigView {
            allowed_locales: allowed
                .iter()
                .map(|code| {
                    let c = mine.iter().find(|c| &c.locale == code);
                    LocaleView {
                        code: code.clone(),
                        articles_count: c.map_or(0, |c| c.articles),
                        categories_count: c.map_or(0, |c| c.categories),
                    }
                })
                .collect(),
            default_locale: default_locale.clone(),
        },
        custom_domain: p.custom_domain,
        header_text: p.header_text,
        homepage_link: p.homepage_link,
        name: p.name,
        slug: p.slug,
        page_title: p.page_title,
        inbox: None,
        logo: None,
        meta: PortalMeta {
            all_articles_count: total(|c| c.articles),
            archived_articles_count: total(|c| c.archived),
            published_count: total(|c| c.published),
            draft_articles_count: total(|c| c.drafts),
            categories_count: total(|c| c.categories),
            default_locale,
        },
    }
}

#[derive(Debug, Serialize)]
pub struct CategoryView {
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
}

impl From<Category> for CategoryView {
    fn from(c: Category) -> Self {
        Self {
            id: c.id,
            account_id: c.account_id,
            portal_id: c.portal_id,
            name: c.name,
            slug: c.slug,
            description: c.description,
            locale: c.locale,
            position: c.position,
            icon: c.icon,
            parent_category_id: c.parent_category_id,
            associated_category_id: c.associated_category_id,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ArticleView {
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
    pub status: &'static str,
    pub position: i32,
    pub locale: String,
    pub meta: Value,
    pub views: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<Article> for ArticleView {
    fn from(a: Article) -> Self {
        Self {
            id: a.id,
            account_id: a.account_id,
            portal_id: a.portal_id,
            category_id: a.category_id,
            author_id: a.author_id,
            associated_article_id: a.associated_article_id,
            title: a.title,
            slug: a.slug,
            content: a.content,
            description: a.description,
            status: ArticleStatus::from_stored(&a.status).as_str(),
            position: a.position,
            locale: a.locale,
            meta: a.meta,
            views: a.views,
            created_at: a.created_at.timestamp(),
            updated_at: a.updated_at.timestamp(),
        }
    }
}

/// A list of portals or categories with its count.
#[derive(Debug, Serialize)]
pub struct Count {
    pub count: usize,
}

/// A page of articles with how many match.
#[derive(Debug, Serialize)]
pub struct ArticlesPage {
    pub articles_count: i64,
    pub current_page: i64,
}

/// A published article as customers read it: `content` is sanitized HTML.
#[derive(Debug, Serialize)]
pub struct PublicArticle {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    pub content: String,
    pub locale: String,
    pub category: Option<PublicCategory>,
    pub views: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Clone)]
pub struct PublicCategory {
    pub id: i64,
    pub name: String,
    pub slug: String,
}

pub fn public_article(a: Article, categories: &HashMap<i64, PublicCategory>, rendered: bool) -> PublicArticle {
    PublicArticle {
        id: a.id,
        category: a.category_id.and_then(|c| categories.get(&c).cloned()),
        content: if rendered { rules::render_markdown(&a.content) } else { String::new() },
        slug: a.slug,
        title: a.title,
        description: a.description,
        locale: a.locale,
        views: a.views,
        updated_at: a.updated_at,
    }
}
