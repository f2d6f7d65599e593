-- Trigram matching for typo-tolerant search ("kubernets" finds Kubernetes).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- array_to_string is only STABLE (element output functions could in theory vary); for text[]
-- it is immutable in practice, and generated columns require an immutable expression.
CREATE FUNCTION bookmark_words(TEXT[]) RETURNS TEXT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT array_to_string($1, ' ') $$;

CREATE TABLE bookmarks (
    id             UUID PRIMARY KEY,
    owner_id       UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Shared into this project: its members may read it (editors may edit it).
    project_id     UUID REFERENCES projects (id) ON DELETE SET NULL,
    url            TEXT NOT NULL CHECK (char_length(url) <= 2048),
    -- The duplicate key: lower-case scheme and host, punycode, no default port, fragment or
    -- tracking parameters, one trailing-slash form.
    normalized_url TEXT NOT NULL,
    title          TEXT NOT NULL DEFAULT '',
    notes          TEXT NOT NULL DEFAULT '',
    tags           TEXT[] NOT NULL DEFAULT '{}',
    -- Folder path from the root, one element per level.
    folder         TEXT[] NOT NULL DEFAULT '{}',
    favorite       BOOLEAN NOT NULL DEFAULT false,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Ranked full-text search: title (A) > tags (B) > notes (C) > url words (D).
    search_document TSVECTOR GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A')
        || setweight(to_tsvector('simple', bookmark_words(tags)), 'B')
        || setweight(to_tsvector('english', notes), 'C')
        || setweight(to_tsvector('simple', regexp_replace(url, '[^[:alnum:]]+', ' ', 'g')), 'D')
    ) STORED,
    -- What fuzzy (trigram) matching compares a query with.
    search_text    TEXT GENERATED ALWAYS AS (lower(title || ' ' || bookmark_words(tags))) STORED,
    CONSTRAINT bookmarks_owner_url_key UNIQUE (owner_id, normalized_url)
);
CREATE INDEX bookmarks_owner_created_idx ON bookmarks (owner_id, created_at DESC, id DESC);
CREATE INDEX bookmarks_project_created_idx ON bookmarks (project_id, created_at DESC, id DESC)
    WHERE project_id IS NOT NULL;
CREATE INDEX bookmarks_search_document_idx ON bookmarks USING GIN (search_document);
CREATE INDEX bookmarks_search_text_trgm_idx ON bookmarks USING GIN (search_text gin_trgm_ops);
CREATE INDEX bookmarks_tags_idx ON bookmarks USING GIN (tags);
SELECT diesel_manage_updated_at('bookmarks');

-- One row per import, so a background import's final report outlives the request that began it.
CREATE TABLE bookmark_imports (
    id          UUID PRIMARY KEY,
    owner_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    format      TEXT NOT NULL CHECK (format IN ('NETSCAPE_HTML', 'JSON')),
    status      TEXT NOT NULL CHECK (status IN ('RUNNING', 'COMPLETED', 'FAILED')),
    total       INTEGER NOT NULL,
    processed   INTEGER NOT NULL DEFAULT 0,
    imported    INTEGER NOT NULL DEFAULT 0,
    duplicates  INTEGER NOT NULL DEFAULT 0,
    -- [{position, url, title, reason}] for every item not imported for a reason of its own.
    skipped     JSONB NOT NULL DEFAULT '[]',
    error       TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ
);
CREATE INDEX bookmark_imports_owner_idx ON bookmark_imports (owner_id, created_at DESC);
