package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// User is an account.
type User struct {
	ID           int64
	Username     string
	PasswordHash string
	IsAdmin      bool
	Disabled     bool
	// AuthVersion changes whenever the password changes or the account is
	// disabled, which invalidates cached credentials.
	AuthVersion int64
	CreatedAt   time.Time
	QuotaBytes  int64  // 0: no limit
	UsedBytes   int64  // bytes stored through DocuVault, across all storages
	Email       string // lower case; "" when unset
	// TOTPEnabled is true once a TOTP secret is confirmed; WebDAV then
	// accepts only app passwords.
	TOTPEnabled bool
}

// Available returns the bytes the user may still store, or -1 without a limit.
func (u User) Available() int64 {
	if u.QuotaBytes <= 0 {
		return -1
	}
	return max(u.QuotaBytes-u.UsedBytes, 0)
}

const userCols = `id, username, password_hash, is_admin, disabled, auth_version, created_at, quota_bytes, used_bytes,
	COALESCE(email, ''), EXISTS (SELECT 1 FROM totp WHERE totp.user_id = users.id AND totp.enabled)`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var created int64
	err := row.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.IsAdmin, &u.Disabled, &u.AuthVersion, &created, &u.QuotaBytes, &u.UsedBytes, &u.Email, &u.TOTPEnabled)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("store: user: %w", err)
	}
	u.CreatedAt = time.Unix(created, 0)
	return u, nil
}

// CreateUser adds an account; a taken username gives ErrConflict.
func (s *Store) CreateUser(ctx context.Context, username, passwordHash string, admin bool) (User, error) {
	return s.AddUser(ctx, NewUser{Username: username, PasswordHash: passwordHash, Admin: admin})
}

// NewUser describes an account to create.
type NewUser struct {
	Username     string
	Email        string // "" for none; stored as given (callers lower-case it)
	PasswordHash string
	Admin        bool
	// InviteHash, when set, names an unused, unexpired invite that the same
	// transaction marks used; without one AddUser fails with ErrNotFound.
	InviteHash string
	Now        time.Time // creation time; zero: the current time
}

// AddUser creates an account. A taken username or e-mail gives ErrConflict.
func (s *Store) AddUser(ctx context.Context, nu NewUser) (User, error) {
	if nu.Now.IsZero() {
		nu.Now = time.Now()
	}
	now := nu.Now.Unix()
	var email any
	if nu.Email != "" {
		email = nu.Email
	}
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO users (username, email, password_hash, is_admin, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`), nu.Username, email, nu.PasswordHash, nu.Admin, now).Scan(&id)
		if isUnique(err) {
			return fmt.Errorf("user %q or its e-mail: %w", nu.Username, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: create user: %w", err)
		}
		if nu.InviteHash == "" {
			return nil
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE invites SET used_by = ?, used_at = ?
			WHERE code_hash = ? AND used_at = 0 AND expires_at > ?`), id, now, nu.InviteHash, now)
		if err != nil {
			return fmt.Errorf("store: use invite: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("invite: %w", ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return User{}, err
	}
	return s.UserByID(ctx, id)
}

// UserByName looks an account up by username.
func (s *Store) UserByName(ctx context.Context, username string) (User, error) {
	return scanUser(s.db.QueryRowContext(ctx, s.q(`SELECT `+userCols+` FROM users WHERE username = ?`), username))
}

// UserByEmail looks an account up by its (lower-case) e-mail address.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	if email == "" {
		return User{}, ErrNotFound
	}
	return scanUser(s.db.QueryRowContext(ctx, s.q(`SELECT `+userCols+` FROM users WHERE email = ?`), email))
}

// UserByID looks an account up by id.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	return scanUser(s.db.QueryRowContext(ctx, s.q(`SELECT `+userCols+` FROM users WHERE id = ?`), id))
}

// Users lists every account ordered by the bytes of the username.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	order := `username`
	if s.dialect == Postgres {
		order = `username COLLATE "C"` // as SQLite, whatever the database's locale
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY `+order)
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CountUsers returns how many accounts exist.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

func (s *Store) updateUser(ctx context.Context, id int64, query string, args ...any) error {
	res, err := s.exec(ctx, query, append(args, id)...)
	if err != nil {
		return fmt.Errorf("store: update user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// SetPassword replaces the password hash and invalidates cached credentials.
func (s *Store) SetPassword(ctx context.Context, id int64, hash string) error {
	return s.updateUser(ctx, id, `UPDATE users SET password_hash = ?, auth_version = auth_version + 1 WHERE id = ?`, hash)
}

// SetDisabled disables or enables an account and invalidates cached credentials.
func (s *Store) SetDisabled(ctx context.Context, id int64, disabled bool) error {
	return s.updateUser(ctx, id, `UPDATE users SET disabled = ?, auth_version = auth_version + 1 WHERE id = ?`, disabled)
}

// DeleteUser removes an account with its properties and locks.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM locks WHERE user_id = ?`, `DELETE FROM dead_props WHERE user_id = ?`} {
			if _, err := tx.ExecContext(ctx, s.q(q), id); err != nil {
				return fmt.Errorf("store: delete user: %w", err)
			}
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM users WHERE id = ?`), id)
		if err != nil {
			return fmt.Errorf("store: delete user: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// SetAdmin grants or withdraws administration.
func (s *Store) SetAdmin(ctx context.Context, id int64, admin bool) error {
	return s.updateUser(ctx, id, `UPDATE users SET is_admin = ? WHERE id = ?`, admin)
}

// SetEmail sets or (with "") clears the e-mail address; a taken one gives ErrConflict.
func (s *Store) SetEmail(ctx context.Context, id int64, email string) error {
	var v any
	if email != "" {
		v = email
	}
	err := s.updateUser(ctx, id, `UPDATE users SET email = ? WHERE id = ?`, v)
	if isUnique(err) {
		return fmt.Errorf("e-mail: %w", ErrConflict)
	}
	return err
}

// SetQuota sets a user's limit in bytes (0: none).
func (s *Store) SetQuota(ctx context.Context, id, bytes int64) error {
	return s.updateUser(ctx, id, `UPDATE users SET quota_bytes = ? WHERE id = ?`, bytes)
}

// AddUsage adds delta (possibly negative) to a user's used bytes, never
// going below zero.
func (s *Store) AddUsage(ctx context.Context, id, delta int64) error {
	if delta == 0 {
		return nil
	}
	return s.updateUser(ctx, id, `UPDATE users SET used_bytes = CASE WHEN used_bytes + ? < 0 THEN 0 ELSE used_bytes + ? END WHERE id = ?`, delta, delta)
}

// SetUsage replaces a user's used bytes (after recounting their storage).
func (s *Store) SetUsage(ctx context.Context, id, bytes int64) error {
	return s.updateUser(ctx, id, `UPDATE users SET used_bytes = ? WHERE id = ?`, bytes)
}
