-- The first prediction for each canonical input, kept forever: identical inputs always get the
-- stored outcome, whatever changes in the engine or the external predictor later.
CREATE TABLE reaction_cache (
    cache_key       TEXT PRIMARY KEY,           -- sha256 of the engine's canonical input key
    canonical_input TEXT NOT NULL,
    outcome         JSONB NOT NULL,
    source          TEXT NOT NULL CHECK (source IN ('ENGINE', 'PREDICTOR')),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every prediction a player ran (cache hits included).
CREATE TABLE reactions (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    cache_key   TEXT NOT NULL REFERENCES reaction_cache (cache_key),
    environment TEXT NOT NULL,
    cached      BOOLEAN NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX reactions_user_created_idx ON reactions (user_id, created_at, id);

-- World firsts: the first balanced reaction of its kind, the first effect with a given compound.
-- The unique constraint is what makes concurrent first attempts have exactly one discoverer.
CREATE TABLE discoveries (
    id            UUID PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('REACTION', 'EFFECT')),
    subject       TEXT NOT NULL,
    description   TEXT NOT NULL,
    discoverer_id UUID REFERENCES users (id) ON DELETE SET NULL,
    reaction_id   UUID REFERENCES reactions (id) ON DELETE SET NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT discoveries_kind_subject_key UNIQUE (kind, subject)
);
CREATE INDEX discoveries_created_idx ON discoveries (created_at, id);
CREATE INDEX discoveries_discoverer_idx ON discoveries (discoverer_id);
