DROP TABLE articles;
DROP FUNCTION sb_article_search();
DROP TABLE portal_categories;
DROP TABLE portals;
