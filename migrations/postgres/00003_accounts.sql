-- +goose Up
-- Accounts: e-mail sign-in, refresh-token families, revocations, app
-- passwords, TOTP, recovery codes, invites, the audit log and settings.
-- Tokens, codes and app-password secrets are stored only as SHA-256 hashes
-- (hex); the TOTP secret is sealed by package secret. Times are Unix seconds.
ALTER TABLE users ADD COLUMN email TEXT; -- lower case; NULL when unset
CREATE UNIQUE INDEX users_email ON users (email);

-- A session is one refresh-token family; auth_version is the user's at
-- sign-in, so a password change or disabling ends it.
CREATE TABLE sessions (
    id           TEXT    PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    auth_version BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    addr         TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- used_at 0: the family's current token; otherwise rotated, and presenting
-- it again revokes the family.
CREATE TABLE refresh_tokens (
    token_hash TEXT    PRIMARY KEY,
    session_id TEXT    NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    used_at    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_created ON refresh_tokens (created_at);

-- Revoked session ids and access-token ids, kept until every access token
-- they could cover has expired.
CREATE TABLE revocations (
    id         TEXT    PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX revocations_expires ON revocations (expires_at);

-- path_prefix "/" allows everything; expires_at 0 never expires.
CREATE TABLE app_passwords (
    id             BIGSERIAL PRIMARY KEY,
    user_id        BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    secret_hash    TEXT    NOT NULL UNIQUE,
    read_only      BOOLEAN NOT NULL DEFAULT FALSE,
    path_prefix    TEXT COLLATE "C" NOT NULL DEFAULT '/',
    expires_at     BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT NOT NULL DEFAULT 0,
    last_used_addr TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX app_passwords_user ON app_passwords (user_id);

-- last_step is the last accepted 30-second step: a code is never accepted twice.
CREATE TABLE totp (
    user_id    BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret     TEXT    NOT NULL,
    enabled    BOOLEAN NOT NULL DEFAULT FALSE,
    last_step  BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE recovery_codes (
    user_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT    NOT NULL,
    used_at   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, code_hash)
);

-- created_by and used_by outlive their users: no foreign keys.
CREATE TABLE invites (
    id         BIGSERIAL PRIMARY KEY,
    code_hash  TEXT    NOT NULL UNIQUE,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_by    BIGINT NOT NULL DEFAULT 0,
    used_at    BIGINT NOT NULL DEFAULT 0
);

-- user_id is NULL when no account matched; rows outlive their users.
CREATE TABLE audit_log (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT,
    username   TEXT    NOT NULL DEFAULT '',
    event      TEXT    NOT NULL,
    addr       TEXT    NOT NULL DEFAULT '',
    detail     TEXT    NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_user ON audit_log (user_id, id);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE audit_log;
DROP TABLE invites;
DROP TABLE recovery_codes;
DROP TABLE totp;
DROP TABLE app_passwords;
DROP TABLE revocations;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP INDEX users_email;
ALTER TABLE users DROP COLUMN email;
