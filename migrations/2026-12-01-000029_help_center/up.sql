-- The help center: portals, their categories and articles. Portal slugs are global: they are
-- the public address (/hc/{slug}).

CREATE TABLE portals (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name text NOT NULL,
    slug text NOT NULL UNIQUE,
    custom_domain text UNIQUE,
    color text,
    header_text text,
    page_title text,
    homepage_link text,
    archived boolean NOT NULL DEFAULT false,
    config jsonb NOT NULL DEFAULT '{"allowed_locales": ["en"], "default_locale": "en"}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX portals_account_idx ON portals (account_id, id);

CREATE TABLE portal_categories (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    portal_id bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    name text NOT NULL,
    slug text NOT NULL,
    description text,
    locale text NOT NULL,
    position integer NOT NULL DEFAULT 0,
    icon text,
    parent_category_id bigint REFERENCES portal_categories (id) ON DELETE SET NULL,
    associated_category_id bigint REFERENCES portal_categories (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (portal_id, locale, slug)
);

CREATE TABLE articles (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    portal_id bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    category_id bigint REFERENCES portal_categories (id) ON DELETE SET NULL,
    author_id bigint REFERENCES users (id) ON DELETE SET NULL,
    associated_article_id bigint REFERENCES articles (id) ON DELETE SET NULL,
    title text NOT NULL,
    slug text NOT NULL,
    content text NOT NULL DEFAULT '',
    description text,
    status text NOT NULL DEFAULT 'draft',
    position integer NOT NULL DEFAULT 0,
    locale text NOT NULL,
    meta jsonb NOT NULL DEFAULT '{}',
    views bigint NOT NULL DEFAULT 0,
    -- The text-search configuration of the article's locale (domain::help_center::search_config).
    search_language text NOT NULL DEFAULT 'simple',
    search tsvector,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (portal_id, slug)
);
CREATE INDEX articles_portal_idx ON articles (portal_id, locale, status, position, id);
CREATE INDEX articles_search_idx ON articles USING gin (search);

-- The search vector follows the article's language, which a generated column cannot (a cast to
-- regconfig is not immutable): title weighs most, then description, then content.
CREATE FUNCTION sb_article_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := setweight(to_tsvector(NEW.search_language::regconfig, coalesce(NEW.title, '')), 'A')
               || setweight(to_tsvector(NEW.search_language::regconfig, coalesce(NEW.description, '')), 'B')
               || setweight(to_tsvector(NEW.search_language::regconfig, coalesce(NEW.content, '')), 'C');
    RETURN NEW;
END $$;
CREATE TRIGGER articles_search BEFORE INSERT OR UPDATE OF title, description, content, search_language ON articles
FOR EACH ROW EXECUTE FUNCTION sb_article_search();
