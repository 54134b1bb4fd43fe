-- +goose Up
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    auth_version  INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL
);

CREATE TABLE dead_props (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    path    TEXT    NOT NULL,
    parent  TEXT    NOT NULL,
    ns      TEXT    NOT NULL,
    name    TEXT    NOT NULL,
    xml     TEXT    NOT NULL,
    lang    TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, path, ns, name)
);
CREATE INDEX dead_props_parent ON dead_props (user_id, parent);

CREATE TABLE locks (
    token      TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    root       TEXT    NOT NULL,
    zero_depth INTEGER NOT NULL,
    shared     INTEGER NOT NULL,
    owner_xml  TEXT    NOT NULL,
    timeout_ms INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX locks_user ON locks (user_id);

-- +goose Down
DROP TABLE locks;
DROP TABLE dead_props;
DROP TABLE users;
