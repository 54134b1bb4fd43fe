-- +goose Up
-- mount is "/" for a user's home storage or "/Name" for an extra top-level
-- folder; config is JSON without secrets; secrets is sealed by package secret.
CREATE TABLE storages (
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    mount      TEXT COLLATE "C" NOT NULL,
    kind       TEXT   NOT NULL,
    config     TEXT   NOT NULL,
    secrets    TEXT   NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, mount)
);
-- quota_bytes 0 means no limit.
ALTER TABLE users ADD COLUMN quota_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN used_bytes  BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN used_bytes;
ALTER TABLE users DROP COLUMN quota_bytes;
DROP TABLE storages;
