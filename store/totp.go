package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// TOTP is a user's authenticator secret: pending until a first code is
// confirmed, then enabled. Secret is sealed (package secret). LastStep is
// the last accepted time step, so a code is never accepted twice.
type TOTP struct {
	UserID    int64
	Secret    string
	Enabled   bool
	LastStep  int64
	CreatedAt time.Time
}

// TOTPOf returns a user's TOTP row; ErrNotFound if none.
func (s *Store) TOTPOf(ctx context.Context, userID int64) (TOTP, error) {
	var t TOTP
	var created int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT user_id, secret, enabled, last_step, created_at FROM totp WHERE user_id = ?`), userID).
		Scan(&t.UserID, &t.Secret, &t.Enabled, &t.LastStep, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return TOTP{}, ErrNotFound
	}
	if err != nil {
		return TOTP{}, fmt.Errorf("store: totp: %w", err)
	}
	t.CreatedAt = time.Unix(created, 0)
	return t, nil
}

// PutPendingTOTP stores a new, not yet enabled secret for a user, replacing
// a pending one; ErrConflict when TOTP is already enabled.
func (s *Store) PutPendingTOTP(ctx context.Context, userID int64, sealed string, now time.Time) error {
	res, err := s.exec(ctx, `INSERT INTO totp (user_id, secret, enabled, last_step, created_at) VALUES (?, ?, ?, 0, ?)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, last_step = 0, created_at = excluded.created_at
		WHERE totp.enabled = ?`, userID, sealed, false, now.Unix(), false)
	if err != nil {
		return fmt.Errorf("store: put totp: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("totp already enabled: %w", ErrConflict)
	}
	return nil
}

// EnableTOTP turns a pending secret on after its code for step was
// accepted, and replaces the user's recovery codes with codeHashes.
// ErrNotFound when nothing is pending.
func (s *Store) EnableTOTP(ctx context.Context, userID, step int64, codeHashes []string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE totp SET enabled = ?, last_step = ? WHERE user_id = ? AND enabled = ? AND last_step < ?`),
			true, step, userID, false, step)
		if err != nil {
			return fmt.Errorf("store: enable totp: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("pending totp: %w", ErrNotFound)
		}
		return replaceCodes(ctx, s, tx, userID, codeHashes)
	})
}

// AcceptTOTPStep records that the code of step was used; ErrConflict when
// step is not after the last accepted one (a replay), ErrNotFound when TOTP
// is not enabled.
func (s *Store) AcceptTOTPStep(ctx context.Context, userID, step int64) error {
	res, err := s.exec(ctx, `UPDATE totp SET last_step = ? WHERE user_id = ? AND enabled = ? AND last_step < ?`, step, userID, true, step)
	if err != nil {
		return fmt.Errorf("store: accept totp: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t, err := s.TOTPOf(ctx, userID)
		if err != nil {
			return err
		}
		if !t.Enabled {
			return fmt.Errorf("totp not enabled: %w", ErrNotFound)
		}
		return fmt.Errorf("totp code already used: %w", ErrConflict)
	}
	return nil
}

// DeleteTOTP turns 2FA off for a user and deletes the recovery codes.
func (s *Store) DeleteTOTP(ctx context.Context, userID int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM recovery_codes WHERE user_id = ?`, `DELETE FROM totp WHERE user_id = ?`} {
			if _, err := tx.ExecContext(ctx, s.q(q), userID); err != nil {
				return fmt.Errorf("store: delete totp: %w", err)
			}
		}
		return nil
	})
}

// ReplaceRecoveryCodes drops a user's recovery codes for codeHashes.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID int64, codeHashes []string) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return replaceCodes(ctx, s, tx, userID, codeHashes) })
}

func replaceCodes(ctx context.Context, s *Store, tx *sql.Tx, userID int64, hashes []string) error {
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM recovery_codes WHERE user_id = ?`), userID); err != nil {
		return fmt.Errorf("store: recovery codes: %w", err)
	}
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)`), userID, h); err != nil {
			return fmt.Errorf("store: recovery codes: %w", err)
		}
	}
	return nil
}

// UseRecoveryCode marks an unused code as used; ErrNotFound when the user
// has no unused code with that hash.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, hash string, now time.Time) error {
	res, err := s.exec(ctx, `UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at = 0`,
		max(now.Unix(), 1), userID, hash)
	if err != nil {
		return fmt.Errorf("store: use recovery code: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// RecoveryCodesLeft counts a user's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at = 0`), userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: recovery codes: %w", err)
	}
	return n, nil
}

// TOTPSecrets lists every TOTP row, pending or enabled (for key rotation).
func (s *Store) TOTPSecrets(ctx context.Context) ([]TOTP, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT user_id, secret, enabled, last_step, created_at FROM totp ORDER BY user_id`)
	if err != nil {
		return nil, fmt.Errorf("store: totp: %w", err)
	}
	defer rows.Close()
	var out []TOTP
	for rows.Next() {
		var t TOTP
		var created int64
		if err := rows.Scan(&t.UserID, &t.Secret, &t.Enabled, &t.LastStep, &created); err != nil {
			return nil, fmt.Errorf("store: totp: %w", err)
		}
		t.CreatedAt = time.Unix(created, 0)
		out = append(out, t)
	}
	return out, rows.Err()
}

// ResealTOTP replaces a user's sealed secret old with new (the same secret
// under another key); ErrConflict when it is no longer old.
func (s *Store) ResealTOTP(ctx context.Context, userID int64, old, new string) error {
	res, err := s.exec(ctx, `UPDATE totp SET secret = ? WHERE user_id = ? AND secret = ?`, new, userID, old)
	if err != nil {
		return fmt.Errorf("store: reseal totp: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("totp secret changed meanwhile: %w", ErrConflict)
	}
	return nil
}
