package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Storage is where one part of a user's namespace lives: Mount "/" is the
// home, "/Name" an extra top-level folder. Config is the driver's JSON
// without secrets; Secrets is sealed (package secret) or empty.
type Storage struct {
	UserID    int64
	Mount     string
	Kind      string
	Config    string
	Secrets   string
	UpdatedAt time.Time
}

const storageCols = `user_id, mount, kind, config, secrets, updated_at`

func scanStorages(rows *sql.Rows, err error) ([]Storage, error) {
	if err != nil {
		return nil, fmt.Errorf("store: storages: %w", err)
	}
	defer rows.Close()
	var out []Storage
	for rows.Next() {
		var st Storage
		var updated int64
		if err := rows.Scan(&st.UserID, &st.Mount, &st.Kind, &st.Config, &st.Secrets, &updated); err != nil {
			return nil, fmt.Errorf("store: storages: %w", err)
		}
		st.UpdatedAt = time.UnixMilli(updated)
		out = append(out, st)
	}
	return out, rows.Err()
}

// Storages returns a user's storages ordered by mount.
func (s *Store) Storages(ctx context.Context, userID int64) ([]Storage, error) {
	return scanStorages(s.db.QueryContext(ctx, s.q(`SELECT `+storageCols+` FROM storages WHERE user_id = ? ORDER BY mount`), userID))
}

// AllStorages returns every storage (for key rotation).
func (s *Store) AllStorages(ctx context.Context) ([]Storage, error) {
	return scanStorages(s.db.QueryContext(ctx, `SELECT `+storageCols+` FROM storages ORDER BY user_id, mount`))
}

// PutStorage creates or replaces the storage at st.Mount.
func (s *Store) PutStorage(ctx context.Context, st Storage) error {
	_, err := s.exec(ctx, `INSERT INTO storages (`+storageCols+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, mount) DO UPDATE SET kind = excluded.kind, config = excluded.config,
		secrets = excluded.secrets, updated_at = excluded.updated_at`,
		st.UserID, st.Mount, st.Kind, st.Config, st.Secrets, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("store: put storage: %w", err)
	}
	return nil
}

// DeleteStorage removes the storage at mount; ErrNotFound if none.
func (s *Store) DeleteStorage(ctx context.Context, userID int64, mount string) error {
	res, err := s.exec(ctx, `DELETE FROM storages WHERE user_id = ? AND mount = ?`, userID, mount)
	if err != nil {
		return fmt.Errorf("store: delete storage: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
