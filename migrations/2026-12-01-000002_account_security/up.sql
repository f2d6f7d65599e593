-- TOTP second factor: at most one credential per user. The secret is AES-256-GCM encrypted
-- (nonce || ciphertext); it is never returned after enrollment. `last_used_step` refuses replay.
CREATE TABLE totp_credentials (
    user_id          UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_encrypted BYTEA NOT NULL,
    confirmed_at     TIMESTAMPTZ,
    last_used_step   BIGINT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Single-use recovery codes, sha256-hashed (each has 80 random bits).
CREATE TABLE recovery_codes (
    id         UUID PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX recovery_codes_user_id_code_hash_key ON recovery_codes (user_id, code_hash);

-- The short-lived proof that a password was right, exchanged by verifyMfa for a session.
CREATE TABLE mfa_challenges (
    id              UUID PRIMARY KEY,
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash      TEXT NOT NULL,
    failed_attempts INT NOT NULL DEFAULT 0,
    expires_at      TIMESTAMPTZ NOT NULL,
    used_at         TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX mfa_challenges_token_hash_key ON mfa_challenges (token_hash);
CREATE INDEX mfa_challenges_user_id_idx ON mfa_challenges (user_id);

-- API keys: `ck_<prefix>_<random>`; only the sha256 of the whole secret is stored.
CREATE TABLE api_keys (
    id           UUID PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    scopes       TEXT[] NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX api_keys_secret_hash_key ON api_keys (secret_hash);
CREATE UNIQUE INDEX api_keys_prefix_key ON api_keys (prefix);
CREATE INDEX api_keys_user_id_created_at_idx ON api_keys (user_id, created_at, id);

-- Failed logins per account (by normalized email, so unknown emails behave the same and the
-- lock reveals nothing). PostgreSQL holds it so every instance sees one count.
CREATE TABLE login_throttles (
    email             TEXT PRIMARY KEY,
    failures          INT NOT NULL,
    window_started_at TIMESTAMPTZ NOT NULL,
    locked_until      TIMESTAMPTZ
);

-- Security events. Rows are only ever inserted; `id` orders them for paging.
CREATE TABLE audit_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind           TEXT NOT NULL,
    actor_id       UUID REFERENCES users (id) ON DELETE SET NULL,
    target_user_id UUID REFERENCES users (id) ON DELETE SET NULL,
    -- What was acted on when it is not (only) a user: `Session:<id>`, `ApiKey:<id>`, an email.
    target         TEXT,
    ip_address     TEXT,
    user_agent     TEXT,
    details        JSONB NOT NULL DEFAULT '{}',
    occurred_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_kind_id_idx ON audit_log (kind, id);
CREATE INDEX audit_log_actor_id_idx ON audit_log (actor_id, id);
CREATE INDEX audit_log_target_user_id_idx ON audit_log (target_user_id, id);
