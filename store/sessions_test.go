package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		now := time.Unix(1_800_000_000, 0)
		month := 30 * 24 * time.Hour
		start := func(t *testing.T, u store.User, token string) store.Session {
			t.Helper()
			ss := store.Session{ID: storetest.Name("sid-"), UserID: u.ID, AuthVersion: u.AuthVersion,
				CreatedAt: now, ExpiresAt: now.Add(month), Addr: "10.0.0.1", UserAgent: "test"}
			if err := st.CreateSession(ctx, ss, token); err != nil {
				t.Fatal(err)
			}
			return ss
		}

		t.Run("rotation hands out one current token", func(t *testing.T) {
			u := newUser(t, st)
			ss := start(t, u, "h1")
			later := now.Add(time.Hour)
			got, err := st.RotateRefresh(ctx, "h1", "h2", later, later.Add(month), "10.0.0.2")
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != ss.ID || got.UserID != u.ID || got.AuthVersion != u.AuthVersion || !got.ExpiresAt.Equal(later.Add(month)) || got.Addr != "10.0.0.2" {
				t.Fatalf("rotated session %+v", got)
			}
			stored, err := st.SessionByID(ctx, ss.ID)
			if err != nil || stored != got {
				t.Fatalf("stored session %+v, %v; want %+v", stored, err, got)
			}
			if _, err := st.RotateRefresh(ctx, "h2", "h3", later, later.Add(month), ""); err != nil {
				t.Fatalf("second rotation: %v", err)
			}
			reused, err := st.RotateRefresh(ctx, "h1", "h4", later, later.Add(month), "")
			if !errors.Is(err, store.ErrTokenReused) || reused.ID != ss.ID || reused.UserID != u.ID {
				t.Fatalf("reusing a rotated token: %+v, %v; want the family and ErrTokenReused", reused, err)
			}
			if _, err := st.RotateRefresh(ctx, "h4", "h5", later, later.Add(month), ""); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("the token of a refused reuse was stored: %v", err)
			}
		})

		t.Run("unknown tokens and expired families", func(t *testing.T) {
			u := newUser(t, st)
			start(t, u, "e1")
			if _, err := st.RotateRefresh(ctx, "nope", "x", now, now, ""); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("unknown token: %v", err)
			}
			late := now.Add(month)
			if _, err := st.RotateRefresh(ctx, "e1", "e2", late, late.Add(month), ""); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("expired family: %v", err)
			}
			if _, err := st.RotateRefresh(ctx, "e1", "e2", now, now.Add(month), ""); err != nil {
				t.Fatalf("a refused rotation changed the token: %v", err)
			}
		})

		t.Run("revoking a family", func(t *testing.T) {
			u := newUser(t, st)
			ss := start(t, u, "r1")
			until := now.Add(15 * time.Minute)
			if err := st.RevokeSession(ctx, ss.ID, until); err != nil {
				t.Fatal(err)
			}
			if _, err := st.RotateRefresh(ctx, "r1", "r2", now, now.Add(month), ""); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("refresh after revocation: %v", err)
			}
			if r, err := st.Revoked(ctx, now, "other", ss.ID); err != nil || !r {
				t.Fatalf("Revoked(session) = %v, %v", r, err)
			}
			if r, _ := st.Revoked(ctx, until, ss.ID); r {
				t.Fatal("a revocation outlived its expiry")
			}
			if err := st.RevokeSession(ctx, ss.ID, now); err != nil {
				t.Fatalf("revoking twice: %v", err)
			}
			if r, _ := st.Revoked(ctx, now, ss.ID); !r {
				t.Fatal("a second, shorter revocation shortened the first")
			}
		})

		t.Run("revoking every family of a user", func(t *testing.T) {
			u, other := newUser(t, st), newUser(t, st)
			a, b := start(t, u, "u1"), start(t, u, "u2")
			kept := start(t, other, "o1")
			n, err := st.RevokeUserSessions(ctx, u.ID, now.Add(time.Minute))
			if err != nil || n != 2 {
				t.Fatalf("RevokeUserSessions = %d, %v", n, err)
			}
			for _, id := range []string{a.ID, b.ID} {
				if r, _ := st.Revoked(ctx, now, id); !r {
					t.Errorf("session %s not revoked", id)
				}
			}
			if ss, _ := st.Sessions(ctx, u.ID); len(ss) != 0 {
				t.Errorf("sessions left: %v", ss)
			}
			if ss, _ := st.Sessions(ctx, other.ID); len(ss) != 1 || ss[0].ID != kept.ID {
				t.Errorf("the other user's sessions: %v", ss)
			}
		})

		t.Run("access-token revocations", func(t *testing.T) {
			if err := st.Revoke(ctx, "jti-1", now.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if r, _ := st.Revoked(ctx, now, "jti-1"); !r {
				t.Fatal("jti not revoked")
			}
			if r, _ := st.Revoked(ctx, now, "jti-2"); r {
				t.Fatal("unrelated jti revoked")
			}
			if r, err := st.Revoked(ctx, now); r || err != nil {
				t.Fatalf("Revoked() = %v, %v", r, err)
			}
		})

		t.Run("cleanup", func(t *testing.T) {
			u := newUser(t, st)
			ss := start(t, u, "c1")
			if _, err := st.RotateRefresh(ctx, "c1", "c2", now, now.Add(month), ""); err != nil {
				t.Fatal(err)
			}
			if err := st.Revoke(ctx, "old-jti", now.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if n, err := st.CleanupAuth(ctx, now, month); err != nil {
				t.Fatal(err)
			} else if _, err := st.RotateRefresh(ctx, "c1", "c3", now, now.Add(month), ""); !errors.Is(err, store.ErrTokenReused) {
				t.Fatalf("cleanup (%d rows) forgot a rotated token still inside its lifetime: %v", n, err)
			}
			later := now.Add(month + time.Hour)
			if _, err := st.CleanupAuth(ctx, later, month); err != nil {
				t.Fatal(err)
			}
			if r, _ := st.Revoked(ctx, now, "old-jti"); r {
				t.Error("expired revocation kept")
			}
			if _, err := st.SessionByID(ctx, ss.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("expired session kept: %v", err)
			}
		})

		t.Run("deleting the user ends its sessions", func(t *testing.T) {
			u := newUser(t, st)
			ss := start(t, u, "d1")
			if err := st.DeleteUser(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := st.SessionByID(ctx, ss.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("session of a deleted user: %v", err)
			}
			if _, err := st.RotateRefresh(ctx, "d1", "d2", now, now.Add(month), ""); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("refresh of a deleted user: %v", err)
			}
		})
	})
}
