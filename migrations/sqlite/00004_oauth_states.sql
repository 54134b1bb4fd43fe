-- +goose Up
-- One row per OAuth connection flow in progress (connect → provider →
-- callback), deleted when the callback takes it or when it expires.
-- state_hash and binding_hash are SHA-256 (hex) of the state parameter and
-- of the browser cookie; verifier is the PKCE code_verifier sealed by
-- package secret. Times are Unix seconds.
CREATE TABLE oauth_states (
    state_hash   TEXT    PRIMARY KEY,
    binding_hash TEXT    NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider     TEXT    NOT NULL,
    mount        TEXT    NOT NULL,
    verifier     TEXT    NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);

-- +goose Down
DROP TABLE oauth_states;
