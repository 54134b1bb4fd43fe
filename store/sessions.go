package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrTokenReused means a refresh token that was already rotated came back:
// someone holds a copy, and the caller should revoke the whole family.
var ErrTokenReused = errors.New("store: refresh token reused")

// Session is one refresh-token family: a sign-in and every rotation since.
// AuthVersion is the user's at sign-in; a session whose user has moved on
// (password changed, disabled) must not be refreshed.
type Session struct {
	ID          string
	UserID      int64
	AuthVersion int64
	CreatedAt   time.Time
	LastUsedAt  time.Time
	ExpiresAt   time.Time
	Addr        string
	UserAgent   string
}

const sessionCols = `s.id, s.user_id, s.auth_version, s.created_at, s.last_used_at, s.expires_at, s.addr, s.user_agent`

func scanSession(row interface{ Scan(...any) error }, extra ...any) (Session, error) {
	var ss Session
	var created, used, expires int64
	err := row.Scan(append([]any{&ss.ID, &ss.UserID, &ss.AuthVersion, &created, &used, &expires, &ss.Addr, &ss.UserAgent}, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("store: session: %w", err)
	}
	ss.CreatedAt, ss.LastUsedAt, ss.ExpiresAt = time.Unix(created, 0), time.Unix(used, 0), time.Unix(expires, 0)
	return ss, nil
}

// CreateSession starts a family whose first refresh token hashes to tokenHash.
func (s *Store) CreateSession(ctx context.Context, ss Session, tokenHash string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO sessions (id, user_id, auth_version, created_at, last_used_at, expires_at, addr, user_agent)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), ss.ID, ss.UserID, ss.AuthVersion, ss.CreatedAt.Unix(), ss.CreatedAt.Unix(),
			ss.ExpiresAt.Unix(), ss.Addr, ss.UserAgent)
		if isUnique(err) {
			return fmt.Errorf("session: %w", ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: create session: %w", err)
		}
		return insertRefresh(ctx, s, tx, tokenHash, ss.ID, ss.CreatedAt)
	})
}

func insertRefresh(ctx context.Context, s *Store, tx *sql.Tx, hash, session string, now time.Time) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES (?, ?, ?)`),
		hash, session, now.Unix())
	if isUnique(err) {
		return fmt.Errorf("refresh token: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: refresh token: %w", err)
	}
	return nil
}

// RotateRefresh exchanges the current refresh token of a family for a new
// one and extends the family to expires. It returns ErrNotFound for an
// unknown token or an expired family, and the family with ErrTokenReused
// when oldHash was already rotated (also when two requests race for it).
func (s *Store) RotateRefresh(ctx context.Context, oldHash, newHash string, now, expires time.Time, addr string) (Session, error) {
	var ss Session
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var usedAt int64
		var err error
		ss, err = scanSession(tx.QueryRowContext(ctx, s.q(`SELECT `+sessionCols+`, t.used_at
			FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.token_hash = ?`), oldHash), &usedAt)
		if err != nil {
			return err
		}
		if usedAt != 0 {
			return ErrTokenReused
		}
		if !now.Before(ss.ExpiresAt) {
			return ErrNotFound
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at = 0`),
			max(now.Unix(), 1), oldHash)
		if err != nil {
			return fmt.Errorf("store: rotate: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrTokenReused
		}
		if err := insertRefresh(ctx, s, tx, newHash, ss.ID, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE sessions SET last_used_at = ?, expires_at = ?, addr = ? WHERE id = ?`),
			now.Unix(), expires.Unix(), addr, ss.ID); err != nil {
			return fmt.Errorf("store: rotate: %w", err)
		}
		ss.LastUsedAt, ss.ExpiresAt, ss.Addr = time.Unix(now.Unix(), 0), time.Unix(expires.Unix(), 0), addr
		return nil
	})
	if err != nil && !errors.Is(err, ErrTokenReused) {
		return Session{}, err
	}
	return ss, err
}

// SessionByID returns a live or expired family.
func (s *Store) SessionByID(ctx context.Context, id string) (Session, error) {
	return scanSession(s.db.QueryRowContext(ctx, s.q(`SELECT `+sessionCols+` FROM sessions s WHERE s.id = ?`), id))
}

// Sessions lists a user's families, newest first.
func (s *Store) Sessions(ctx context.Context, userID int64) ([]Session, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+sessionCols+` FROM sessions s WHERE s.user_id = ? ORDER BY s.created_at DESC, s.id`), userID)
	if err != nil {
		return nil, fmt.Errorf("store: sessions: %w", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ss)
	}
	return out, rows.Err()
}

// RevokeSession ends a family: its refresh tokens are deleted and its id is
// recorded as revoked until until (when its last access token expires).
// Revoking an unknown or already revoked session is not an error.
func (s *Store) RevokeSession(ctx context.Context, id string, until time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := revoke(ctx, s, tx, id, until); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE id = ?`), id); err != nil {
			return fmt.Errorf("store: revoke session: %w", err)
		}
		return nil
	})
}

// RevokeUserSessions ends every family of a user and returns how many.
func (s *Store) RevokeUserSessions(ctx context.Context, userID int64, until time.Time) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.q(`SELECT id FROM sessions WHERE user_id = ?`), userID)
		if err != nil {
			return fmt.Errorf("store: revoke sessions: %w", err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("store: revoke sessions: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: revoke sessions: %w", err)
		}
		for _, id := range ids {
			if err := revoke(ctx, s, tx, id, until); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE user_id = ?`), userID); err != nil {
			return fmt.Errorf("store: revoke sessions: %w", err)
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// Revoke records id (an access token's jti) as revoked until until.
func (s *Store) Revoke(ctx context.Context, id string, until time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return revoke(ctx, s, tx, id, until) })
}

func revoke(ctx context.Context, s *Store, tx *sql.Tx, id string, until time.Time) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO revocations (id, expires_at) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET expires_at = CASE WHEN excluded.expires_at > revocations.expires_at
		THEN excluded.expires_at ELSE revocations.expires_at END`), id, until.Unix())
	if err != nil {
		return fmt.Errorf("store: revoke: %w", err)
	}
	return nil
}

// Revoked reports whether any of ids is revoked at now.
func (s *Store) Revoked(ctx context.Context, now time.Time, ids ...string) (bool, error) {
	if len(ids) == 0 {
		return false, nil
	}
	args := []any{now.Unix()}
	for _, id := range ids {
		args = append(args, id)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM revocations WHERE expires_at > ? AND id IN (`+marks+`)`), args...).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: revoked: %w", err)
	}
	return n > 0, nil
}

// CleanupAuth deletes what can no longer matter at now: expired
// revocations, families, invites and OAuth flows, and rotated refresh tokens older than
// tokenTTL (they would have expired anyway). It returns the rows deleted.
func (s *Store) CleanupAuth(ctx context.Context, now time.Time, tokenTTL time.Duration) (int64, error) {
	var total int64
	for _, c := range []struct {
		query string
		arg   int64
	}{
		{`DELETE FROM revocations WHERE expires_at <= ?`, now.Unix()},
		{`DELETE FROM refresh_tokens WHERE used_at <> 0 AND created_at <= ?`, now.Add(-tokenTTL).Unix()},
		{`DELETE FROM sessions WHERE expires_at <= ?`, now.Unix()},
		{`DELETE FROM invites WHERE used_at = 0 AND expires_at <= ?`, now.Unix()},
		{`DELETE FROM oauth_states WHERE expires_at <= ?`, now.Unix()},
	} {
		res, err := s.exec(ctx, c.query, c.arg)
		if err != nil {
			return total, fmt.Errorf("store: cleanup: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}
