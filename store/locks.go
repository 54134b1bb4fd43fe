package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrLocked means a new lock conflicts with an existing one.
var ErrLocked = errors.New("store: locked")

// Lock is a WebDAV write lock on Root (and, unless ZeroDepth, everything
// below it), exclusive unless Shared. Timeout < 0 means infinite; Expires
// is then zero.
type Lock struct {
	Token     string
	UserID    int64
	Root      string
	ZeroDepth bool
	Shared    bool
	OwnerXML  string
	Timeout   time.Duration
	Expires   time.Time
}

// Covers reports whether the lock applies to path p.
func (l Lock) Covers(p string) bool {
	return l.Root == p || (!l.ZeroDepth && IsBelow(p, l.Root))
}

// Conflicts reports whether two locks cannot coexist: they overlap and at
// least one is exclusive.
func (l Lock) Conflicts(o Lock) bool {
	return (l.Covers(o.Root) || o.Covers(l.Root)) && !(l.Shared && o.Shared)
}

// IsBelow reports whether p is strictly below dir.
func IsBelow(p, dir string) bool {
	if dir == "/" {
		return p != "/"
	}
	return strings.HasPrefix(p, dir+"/")
}

func expiresMs(l Lock) int64 {
	if l.Timeout < 0 {
		return 0
	}
	return l.Expires.UnixMilli()
}

// timeoutMs stores an infinite timeout as -1: Milliseconds would round a
// small negative Duration to 0, which reads back as a finite timeout.
func timeoutMs(d time.Duration) int64 {
	if d < 0 {
		return -1
	}
	return d.Milliseconds()
}

const lockCols = `token, user_id, root, zero_depth, shared, owner_xml, timeout_ms, expires_at`

func scanLocks(rows *sql.Rows) ([]Lock, error) {
	defer rows.Close()
	var out []Lock
	for rows.Next() {
		var l Lock
		var tms, expires int64
		if err := rows.Scan(&l.Token, &l.UserID, &l.Root, &l.ZeroDepth, &l.Shared, &l.OwnerXML, &tms, &expires); err != nil {
			return nil, fmt.Errorf("store: locks: %w", err)
		}
		l.Timeout = time.Duration(tms) * time.Millisecond
		if tms < 0 {
			l.Timeout = -1
		}
		if expires != 0 {
			l.Expires = time.UnixMilli(expires)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) activeLocks(ctx context.Context, q querier, userID int64, now time.Time) ([]Lock, error) {
	rows, err := q.QueryContext(ctx, s.q(`SELECT `+lockCols+` FROM locks WHERE user_id = ? AND (expires_at = 0 OR expires_at > ?)`),
		userID, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("store: locks: %w", err)
	}
	return scanLocks(rows)
}

// Locks returns the user's unexpired locks.
func (s *Store) Locks(ctx context.Context, userID int64, now time.Time) ([]Lock, error) {
	return s.activeLocks(ctx, s.db, userID, now)
}

// CountLocks returns how many locks of all users are unexpired at now.
func (s *Store) CountLocks(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM locks WHERE expires_at = 0 OR expires_at > ?`), now.UnixMilli()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count locks: %w", err)
	}
	return n, nil
}

// CreateLock stores l unless it conflicts with an unexpired lock of the same
// user, in which case it returns ErrLocked. Check and insert are atomic across
// processes sharing the database.
func (s *Store) CreateLock(ctx context.Context, l Lock, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if s.dialect == Postgres {
			// Serialise lock creation per user across replicas.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7001, $1::int)`, int32(l.UserID)); err != nil {
				return fmt.Errorf("store: lock: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM locks WHERE user_id = ? AND expires_at <> 0 AND expires_at <= ?`),
			l.UserID, now.UnixMilli()); err != nil {
			return fmt.Errorf("store: lock: %w", err)
		}
		existing, err := s.activeLocks(ctx, tx, l.UserID, now)
		if err != nil {
			return err
		}
		for _, o := range existing {
			if o.Conflicts(l) {
				return ErrLocked
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO locks (`+lockCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
			l.Token, l.UserID, l.Root, l.ZeroDepth, l.Shared, l.OwnerXML, timeoutMs(l.Timeout), expiresMs(l)); err != nil {
			return fmt.Errorf("store: lock: %w", err)
		}
		return nil
	})
}

// RefreshLock gives an unexpired lock a new timeout and returns it.
func (s *Store) RefreshLock(ctx context.Context, userID int64, token string, timeout time.Duration, now time.Time) (Lock, error) {
	l := Lock{Timeout: timeout, Expires: now.Add(timeout)}
	res, err := s.exec(ctx, `UPDATE locks SET timeout_ms = ?, expires_at = ? WHERE user_id = ? AND token = ? AND (expires_at = 0 OR expires_at > ?)`,
		timeoutMs(timeout), expiresMs(l), userID, token, now.UnixMilli())
	if err != nil {
		return Lock{}, fmt.Errorf("store: refresh lock: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Lock{}, ErrNotFound
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+lockCols+` FROM locks WHERE user_id = ? AND token = ?`), userID, token)
	if err != nil {
		return Lock{}, fmt.Errorf("store: refresh lock: %w", err)
	}
	ls, err := scanLocks(rows)
	if err != nil {
		return Lock{}, err
	}
	if len(ls) == 0 {
		return Lock{}, ErrNotFound
	}
	return ls[0], nil
}

// DeleteLock removes one unexpired lock of the user; ErrNotFound if there
// is none.
func (s *Store) DeleteLock(ctx context.Context, userID int64, token string, now time.Time) error {
	res, err := s.exec(ctx, `DELETE FROM locks WHERE user_id = ? AND token = ? AND (expires_at = 0 OR expires_at > ?)`,
		userID, token, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: unlock: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteLocksAt removes every lock rooted at p or below it (after DELETE or
// MOVE of p).
func (s *Store) DeleteLocksAt(ctx context.Context, userID int64, p string) error {
	lo, hi := descendantRange(p)
	_, err := s.exec(ctx, `DELETE FROM locks WHERE user_id = ? AND (root = ? OR (root > ? AND root < ?))`, userID, p, lo, hi)
	if err != nil {
		return fmt.Errorf("store: unlock: %w", err)
	}
	return nil
}
