package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// OAuthState is an OAuth connection flow in progress: which user asked to
// connect which provider at which mount. Only hashes of the state and of
// the browser-binding cookie are stored; Verifier (the PKCE code_verifier)
// is sealed by the caller.
type OAuthState struct {
	StateHash   string
	BindingHash string
	UserID      int64
	Provider    string
	Mount       string
	Verifier    string
	ExpiresAt   time.Time
}

// CreateOAuthState stores a flow; ErrConflict if its state hash exists.
func (s *Store) CreateOAuthState(ctx context.Context, o OAuthState) error {
	_, err := s.exec(ctx, `INSERT INTO oauth_states (state_hash, binding_hash, user_id, provider, mount, verifier, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, o.StateHash, o.BindingHash, o.UserID, o.Provider, o.Mount, o.Verifier, o.ExpiresAt.Unix())
	if isUnique(err) {
		return fmt.Errorf("oauth state: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: create oauth state: %w", err)
	}
	return nil
}

// TakeOAuthState deletes and returns the flow of stateHash, expired or
// not, so a state is good for one callback only; ErrNotFound if none (never
// stored, already taken, or its user deleted).
func (s *Store) TakeOAuthState(ctx context.Context, stateHash string) (OAuthState, error) {
	o := OAuthState{StateHash: stateHash}
	var expires int64
	err := s.db.QueryRowContext(ctx, s.q(`DELETE FROM oauth_states WHERE state_hash = ?
		RETURNING binding_hash, user_id, provider, mount, verifier, expires_at`), stateHash).
		Scan(&o.BindingHash, &o.UserID, &o.Provider, &o.Mount, &o.Verifier, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return OAuthState{}, ErrNotFound
	}
	if err != nil {
		return OAuthState{}, fmt.Errorf("store: take oauth state: %w", err)
	}
	o.ExpiresAt = time.Unix(expires, 0)
	return o, nil
}

// UpdateStorageSecrets replaces the sealed secrets of the storage at mount
// while holding a lock on that storage, so that processes sharing the
// database never refresh one OAuth token at the same time. fn gets the row
// as committed now (ErrNotFound if there is none) and returns its new
// secrets, or "" to leave them; it runs inside the lock and may take a
// network round trip. On PostgreSQL the lock is a transaction-level
// advisory lock on (schema, user, mount), which holds back only the other
// callers for that storage; on SQLite the immediate transaction holds the
// database's write lock, which serialises writers across processes too.
//
// The write only lands if the row still holds the secrets fn saw: a row
// replaced meanwhile (the storage reconnected through PutStorage, which
// takes no lock) wins. updated_at is left alone, so open backends stay
// cached: their token sources read the row again when they need to.
func (s *Store) UpdateStorageSecrets(ctx context.Context, userID int64, mount string,
	fn func(cur Storage) (string, error)) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if s.dialect == Postgres {
			// 64 bits of an MD5 of the key: documented functions only.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(('x' || substr(md5(
				'docuvault-storage:' || current_schema() || ':' || $1::text || ':' || $2::text), 1, 16))::bit(64)::bigint)`,
				fmt.Sprint(userID), mount); err != nil {
				return fmt.Errorf("store: lock storage: %w", err)
			}
		}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT `+storageCols+` FROM storages WHERE user_id = ? AND mount = ?`), userID, mount)
		list, err := scanStorages(rows, err)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return ErrNotFound
		}
		cur := list[0]
		secrets, err := fn(cur)
		if err != nil || secrets == "" || secrets == cur.Secrets {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE storages SET secrets = ? WHERE user_id = ? AND mount = ? AND secrets = ?`),
			secrets, userID, mount, cur.Secrets); err != nil {
			return fmt.Errorf("store: update storage secrets: %w", err)
		}
		return nil
	})
}
