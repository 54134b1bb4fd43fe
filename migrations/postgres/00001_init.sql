-- +goose Up
CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT     NOT NULL UNIQUE,
    password_hash TEXT     NOT NULL,
    is_admin      BOOLEAN  NOT NULL DEFAULT FALSE,
    disabled      BOOLEAN  NOT NULL DEFAULT FALSE,
    auth_version  BIGINT   NOT NULL DEFAULT 1,
    created_at    BIGINT   NOT NULL
);

-- Paths use the C collation so that range scans over a folder's
-- descendants compare bytes, as SQLite does.
CREATE TABLE dead_props (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    path    TEXT COLLATE "C" NOT NULL,
    parent  TEXT COLLATE "C" NOT NULL,
    ns      TEXT NOT NULL,
    name    TEXT NOT NULL,
    xml     TEXT NOT NULL,
    lang    TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, path, ns, name)
);
CREATE INDEX dead_props_parent ON dead_props (user_id, parent);

CREATE TABLE locks (
    token      TEXT    PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    root       TEXT COLLATE "C" NOT NULL,
    zero_depth BOOLEAN NOT NULL,
    shared     BOOLEAN NOT NULL,
    owner_xml  TEXT    NOT NULL,
    timeout_ms BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX locks_user ON locks (user_id);

-- +goose Down
DROP TABLE locks;
DROP TABLE dead_props;
DROP TABLE users;
