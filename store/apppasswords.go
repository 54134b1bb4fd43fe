package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AppPassword is a WebDAV credential of a user. Only the hash of its
// secret is stored, and it never leaves this package.
type AppPassword struct {
	ID           int64
	UserID       int64
	Name         string
	ReadOnly     bool
	PathPrefix   string    // "/" or a folder the password is confined to
	ExpiresAt    time.Time // zero: never
	CreatedAt    time.Time
	LastUsedAt   time.Time // zero: never used
	LastUsedAddr string
}

// Expired reports whether the password no longer works at now.
func (a AppPassword) Expired(now time.Time) bool {
	return !a.ExpiresAt.IsZero() && !now.Before(a.ExpiresAt)
}

const appPasswordCols = `id, user_id, name, read_only, path_prefix, expires_at, created_at, last_used_at, last_used_addr`

func scanAppPassword(row interface{ Scan(...any) error }) (AppPassword, error) {
	var a AppPassword
	var expires, created, used int64
	err := row.Scan(&a.ID, &a.UserID, &a.Name, &a.ReadOnly, &a.PathPrefix, &expires, &created, &used, &a.LastUsedAddr)
	if errors.Is(err, sql.ErrNoRows) {
		return AppPassword{}, ErrNotFound
	}
	if err != nil {
		return AppPassword{}, fmt.Errorf("store: app password: %w", err)
	}
	a.ExpiresAt, a.CreatedAt, a.LastUsedAt = unixOrZero(expires), time.Unix(created, 0), unixOrZero(used)
	return a, nil
}

func unixOrZero(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0)
}

func zeroOrUnix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// CreateAppPassword stores a, whose secret hashes to secretHash, and
// returns it with its id and creation time.
func (s *Store) CreateAppPassword(ctx context.Context, a AppPassword, secretHash string) (AppPassword, error) {
	if a.PathPrefix == "" {
		a.PathPrefix = "/"
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = time.Now()
	}
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO app_passwords (user_id, name, secret_hash, read_only, path_prefix, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`), a.UserID, a.Name, secretHash, a.ReadOnly, a.PathPrefix,
		zeroOrUnix(a.ExpiresAt), a.CreatedAt.Unix()).Scan(&a.ID)
	if isUnique(err) {
		return AppPassword{}, fmt.Errorf("app password: %w", ErrConflict)
	}
	if err != nil {
		return AppPassword{}, fmt.Errorf("store: create app password: %w", err)
	}
	a.CreatedAt, a.ExpiresAt = time.Unix(a.CreatedAt.Unix(), 0), unixOrZero(zeroOrUnix(a.ExpiresAt))
	return a, nil
}

// AppPasswordByHash finds the app password whose secret hashes to hash.
func (s *Store) AppPasswordByHash(ctx context.Context, hash string) (AppPassword, error) {
	return scanAppPassword(s.db.QueryRowContext(ctx, s.q(`SELECT `+appPasswordCols+` FROM app_passwords WHERE secret_hash = ?`), hash))
}

// AppPasswords lists a user's app passwords, oldest first.
func (s *Store) AppPasswords(ctx context.Context, userID int64) ([]AppPassword, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+appPasswordCols+` FROM app_passwords WHERE user_id = ? ORDER BY id`), userID)
	if err != nil {
		return nil, fmt.Errorf("store: app passwords: %w", err)
	}
	defer rows.Close()
	var out []AppPassword
	for rows.Next() {
		a, err := scanAppPassword(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// DeleteAppPassword revokes one of a user's app passwords; ErrNotFound if
// the user has no such password.
func (s *Store) DeleteAppPassword(ctx context.Context, userID, id int64) error {
	res, err := s.exec(ctx, `DELETE FROM app_passwords WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return fmt.Errorf("store: delete app password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// TouchAppPassword records a use at when from addr.
func (s *Store) TouchAppPassword(ctx context.Context, id int64, when time.Time, addr string) error {
	if _, err := s.exec(ctx, `UPDATE app_passwords SET last_used_at = ?, last_used_addr = ? WHERE id = ?`, when.Unix(), addr, id); err != nil {
		return fmt.Errorf("store: touch app password: %w", err)
	}
	return nil
}
