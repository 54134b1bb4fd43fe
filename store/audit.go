package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// AuditEvent is one entry of the audit log. UserID is 0 when no account
// matched (Username then holds what was tried). Detail never holds a secret.
type AuditEvent struct {
	ID       int64
	UserID   int64
	Username string
	Event    string
	Addr     string
	Detail   string
	Time     time.Time
}

// AddAudit appends e to the audit log (Time zero: now).
func (s *Store) AddAudit(ctx context.Context, e AuditEvent) error {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	var uid any
	if e.UserID != 0 {
		uid = e.UserID
	}
	_, err := s.exec(ctx, `INSERT INTO audit_log (user_id, username, event, addr, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		uid, e.Username, e.Event, e.Addr, e.Detail, e.Time.Unix())
	if err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	return nil
}

// AuditFilter selects audit entries, newest first.
type AuditFilter struct {
	UserID   int64 // 0: every user
	BeforeID int64 // 0: from the newest; otherwise entries with a smaller id
	Limit    int   // 0 or more than 1000: 1000
}

// AuditLog returns the entries f selects, newest first.
func (s *Store) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 1000
	}
	query := `SELECT id, COALESCE(user_id, 0), username, event, addr, detail, created_at FROM audit_log WHERE 1 = 1`
	var args []any
	if f.UserID != 0 {
		query += ` AND user_id = ?`
		args = append(args, f.UserID)
	}
	if f.BeforeID != 0 {
		query += ` AND id < ?`
		args = append(args, f.BeforeID)
	}
	query += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		var e AuditEvent
		var at int64
		if err := rows.Scan(&e.ID, &e.UserID, &e.Username, &e.Event, &e.Addr, &e.Detail, &at); err != nil {
			return nil, fmt.Errorf("store: audit log: %w", err)
		}
		e.Time = time.Unix(at, 0)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Setting returns a server setting; ErrNotFound when it was never set.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT value FROM settings WHERE name = ?`), name).Scan(&v)
	if err == sql.ErrNoRows {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("store: setting %q: %w", name, err)
	}
	return v, nil
}

// SetSetting creates or replaces a server setting.
func (s *Store) SetSetting(ctx context.Context, name, value string) error {
	_, err := s.exec(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return fmt.Errorf("store: set %q: %w", name, err)
	}
	return nil
}
