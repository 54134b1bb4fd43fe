package store

import (
	"context"
	"fmt"
	"time"
)

// Invite lets one person sign up while sign-up is invite-only. Only the
// hash of its code is stored; AddUser with NewUser.InviteHash uses it.
type Invite struct {
	ID        int64
	CreatedBy int64
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedBy    int64     // 0: unused
	UsedAt    time.Time // zero: unused
}

// CreateInvite stores an invite whose code hashes to codeHash.
func (s *Store) CreateInvite(ctx context.Context, codeHash string, createdBy int64, now, expires time.Time) (Invite, error) {
	inv := Invite{CreatedBy: createdBy, CreatedAt: time.Unix(now.Unix(), 0), ExpiresAt: time.Unix(expires.Unix(), 0)}
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO invites (code_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?) RETURNING id`),
		codeHash, createdBy, now.Unix(), expires.Unix()).Scan(&inv.ID)
	if isUnique(err) {
		return Invite{}, fmt.Errorf("invite: %w", ErrConflict)
	}
	if err != nil {
		return Invite{}, fmt.Errorf("store: create invite: %w", err)
	}
	return inv, nil
}

// Invites lists every invite, newest first.
func (s *Store) Invites(ctx context.Context) ([]Invite, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, created_by, created_at, expires_at, used_by, used_at FROM invites ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: invites: %w", err)
	}
	defer rows.Close()
	var out []Invite
	for rows.Next() {
		var inv Invite
		var created, expires, used int64
		if err := rows.Scan(&inv.ID, &inv.CreatedBy, &created, &expires, &inv.UsedBy, &used); err != nil {
			return nil, fmt.Errorf("store: invites: %w", err)
		}
		inv.CreatedAt, inv.ExpiresAt, inv.UsedAt = time.Unix(created, 0), time.Unix(expires, 0), unixOrZero(used)
		out = append(out, inv)
	}
	return out, rows.Err()
}

// DeleteInvite withdraws an invite; ErrNotFound if there is none.
func (s *Store) DeleteInvite(ctx context.Context, id int64) error {
	res, err := s.exec(ctx, `DELETE FROM invites WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("store: delete invite: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
